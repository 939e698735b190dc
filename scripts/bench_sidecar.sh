#!/usr/bin/env bash
# Load figures for the sidecar (BENCHMARKS.md, "Sidecar"), with their two ceilings
# measured in the same run on the same machine:
#   nginx returning a fixed 200 (HTTP ceiling) and a bare Beast WebSocket echo server
#   (streaming ceiling, `vigil_loadgen --mode echo-server`), then vigil serve with the
#   shipped rules: HTTP one message a request, HTTP 100 a request, WebSocket one a frame,
#   WebSocket 100 a frame, and p99 at half of each peak.
# Loopback only. Needs nginx (scripts/setup.sh --bench) and a build with the bench
# targets:  cmake --build build --target vigil vigil_loadgen
#   scripts/bench_sidecar.sh [BUILD_DIR] [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
name=bench_sidecar help_lines=2,10
source scripts/lib/bench_common.sh
bench_args "$@"
build=${1:-build}
secs=${2:-5}
conns=${3:-16}
threads=$(nproc)
require_bench_binaries "$build"
command -v nginx >/dev/null || { echo "bench_sidecar: nginx is missing (scripts/setup.sh --bench)" >&2; exit 2; }

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

run() { "$loadgen" --json --duration "$secs" "$@"; }

# nginx: a fixed 200 on every request, one worker per core like vigil's io threads.
np=$(free_port)
cat >"$tmp/nginx.conf" <<CONF
worker_processes $threads;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $tmp;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$np;
    location / { default_type application/json; return 200 '{"ok":true}'; }
  }
}
CONF
nginx -c "$tmp/nginx.conf" -p "$tmp" & pids+=($!)
wait_http "$np" /
nginx_http=$(run --mode http --port "$np" --path / -c "$conns")

# The bare Beast WebSocket echo: reads a frame, writes it back.
ep=$(free_port)
"$loadgen" --mode echo-server --port "$ep" --threads "$threads" >/dev/null & pids+=($!)
sleep 0.5
echo_ws=$(run --mode ws --port "$ep" --path / -c "$conns")
echo_wsb=$(run --mode ws-batch --port "$ep" --path / -c 4)

# vigil serve: shipped rules, state in memory, logs at warn (flagged verdicts log at info).
vp=$(free_port)
VIGIL_LOG_LEVEL=warn "$vigil" serve --listen "127.0.0.1:$vp" --rules rules --data-dir "" --threads "$threads" \
  >"$tmp/vigil.out" 2>"$tmp/vigil.err" & pids+=($!)
wait_http "$vp" /readyz || { echo "bench_sidecar: vigil did not become ready" >&2; cat "$tmp/vigil.err" >&2; exit 1; }
v_http=$(run --mode http --port "$vp" -c "$conns")
v_httpb=$(run --mode http-batch --port "$vp" -c 4)
v_ws=$(run --mode ws --port "$vp" -c "$conns")
v_wsb=$(run --mode ws-batch --port "$vp" -c 4)

half() { python3 -c 'import json,sys; print(max(1.0, json.loads(sys.argv[1])["requests_per_s"] / 2))' "$1"; }
v_http_half=$(run --mode http --port "$vp" -c "$conns" --rate "$(half "$v_http")")
v_ws_half=$(run --mode ws --port "$vp" -c "$conns" --rate "$(half "$v_ws")")
v_wsb_half=$(run --mode ws-batch --port "$vp" -c 4 --rate "$(half "$v_wsb")")

python3 - "$nginx_http" "$echo_ws" "$echo_wsb" "$v_http" "$v_httpb" "$v_ws" "$v_wsb" "$v_http_half" "$v_ws_half" "$v_wsb_half" <<'PY'
import json, sys
names = ["nginx fixed 200 (HTTP ceiling)", "Beast WS echo, 1 msg/frame (ceiling)", "Beast WS echo, 100-msg frames",
         "vigil HTTP, 1 msg/request", "vigil HTTP, 100 msgs/request", "vigil WS, 1 msg/frame", "vigil WS, 100 msgs/frame",
         "vigil HTTP 1 msg @ half peak", "vigil WS 1 msg @ half peak", "vigil WS 100 msgs @ half peak"]
rows = [json.loads(a) for a in sys.argv[1:]]
print(f"| run | conns | messages/s | requests/s | p50 ms | p99 ms | errors |")
print(f"| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for n, r in zip(names, rows):
    print(f"| {n} | {r['connections']} | {r['messages_per_s']:,.0f} | {r['requests_per_s']:,.0f} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | {r['errors']} |")
ng, ew, ewb, vh, vhb, vw, vwb = rows[:7]
print()
print(f"HTTP single vs nginx: {vh['requests_per_s'] / ng['requests_per_s']:.2f}x (target >= 0.7x)")
print(f"WS one-per-frame vs echo: {vw['messages_per_s'] / ew['messages_per_s']:.2f}x (target >= 0.8x)")
print(f"WS 100-per-frame: {vwb['messages_per_s']:,.0f} messages/s (target >= 300,000)")
print(f"p99 at half peak: HTTP {rows[7]['p99_ms']:.3f} ms, WS {rows[8]['p99_ms']:.3f} ms, WS batch {rows[9]['p99_ms']:.3f} ms (target < 2 ms)")
PY
