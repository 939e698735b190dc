# Shared by the load scripts (bench_sidecar.sh, soak.sh); sourced, never run.
# Each script sets `name` (for messages) and `help_lines` (the sed range of its header)
# before sourcing this, then calls bench_args "$@".

# --help prints the script's header; any other option is a usage error (exit 2).
bench_args() {
  case "${1:-}" in
    -h|--help) sed -n "${help_lines}p" "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "$name: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
}

# The binaries the load scripts drive; exits 2 naming what to build when one is missing.
require_bench_binaries() {
  local build=$1 f
  vigil="$build/vigil"
  loadgen="$build/bench/vigil_loadgen"
  for f in "$vigil" "$loadgen"; do
    [ -x "$f" ] || { echo "$name: $f is missing (cmake --build $build --target vigil vigil_loadgen)" >&2; exit 2; }
  done
}

# A loopback port free at the time of asking.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits up to 60 s for http://127.0.0.1:PORT/PATH to answer 2xx.
wait_http() { for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$1$2" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
