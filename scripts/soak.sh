#!/usr/bin/env bash
# Soak (BENCHMARKS.md, "Durability"): vigil serve with a data_dir and a small state cap,
# first 10 s unpaced to find the peak, then SECONDS at half of it with a new conversation
# every 10 messages (churn far past max_conversations). Samples the server's RSS and its
# state metrics every 10 s to TMP/soak.tsv and prints them. Loopback only.
#   scripts/soak.sh [BUILD_DIR] [SECONDS] [MAX_CONVERSATIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
name=soak help_lines=2,6
source scripts/lib/bench_common.sh
bench_args "$@"
build=${1:-build}
secs=${2:-600}
cap=${3:-50000}
require_bench_binaries "$build"
tmp=$(mktemp -d)
out=${SOAK_OUT:-$tmp/soak.tsv}
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp/data"; }
trap cleanup EXIT

port=$(free_port)
printf 'log: {level: warn}\nstate: {max_conversations: %s}\n' "$cap" > "$tmp/soak.yaml"
"$vigil" serve --listen "127.0.0.1:$port" --rules rules --data-dir "$tmp/data" --threads 2 \
  --config "$tmp/soak.yaml" > "$tmp/serve.out" 2> "$tmp/serve.err" &
pid=$!
wait_http "$port" /readyz || { echo "soak: vigil serve did not become ready, see $tmp/serve.err" >&2; exit 1; }

peak=$("$loadgen" --json --port "$port" -c 16 --duration 10 --per-conversation 10 |
  python3 -c 'import json,sys; print(int(json.load(sys.stdin)["requests_per_s"]))')
rate=$((peak / 2))
echo "peak $peak requests/s; soaking ${secs}s at $rate/s, max_conversations $cap" >&2

metric() { curl -s "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
printf 's\trss_mib\tconversations\tevictions_lru\tunflushed\tlag_s\tbackpressure_waits\tflush_failures\n' > "$out"
"$loadgen" --json --port "$port" -c 16 --rate "$rate" --duration "$secs" --warmup 0 --per-conversation 10 \
  > "$tmp/load.json" &
load=$!
t=0
while kill -0 "$load" 2>/dev/null; do
  rss=$(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$rss" "$(metric vigil_conversations_tracked)" \
    "$(curl -s "http://127.0.0.1:$port/metrics" | awk '$1 == "vigil_conversation_evictions_total{reason=\"lru\"}" {print $2}')" \
    "$(metric vigil_state_unflushed_conversations)" "$(metric vigil_state_unflushed_age_seconds)" \
    "$(metric vigil_state_backpressure_waits_total)" "$(metric vigil_state_flush_failures_total)" >> "$out"
  sleep 10
  t=$((t + 10))
done
wait "$load"
cat "$out"
cat "$tmp/load.json"
