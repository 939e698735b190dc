#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with Clang, ASan and UBSan in build-fuzz/ and
# runs each for a bounded time, one after another, from its seeds and every crash kept in
# tests/fuzz/<target>/ (new inputs it finds go to build-fuzz/corpus/<target>/).
#   scripts/fuzz.sh                      every target, 60 s each
#   scripts/fuzz.sh --seconds N [T...]   N seconds each; only targets T (e.g. normalize)
#   scripts/fuzz.sh --build-only         build, run nothing
# Exits 1 when a target crashes, after running the others; each crash's reproducer path
# is printed (replay it with build-fuzz/tests/fuzz/<target>_fuzz FILE, keep it in
# tests/fuzz/<target>/ once fixed). docs/fuzzing.md has more.
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(http_request message_json websocket rule_pack normalize)
seconds=60 build_only=0 targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds)
      [[ "${2:-}" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: --seconds takes a whole number" >&2; exit 2; }
      seconds=$2; shift ;;
    --build-only) build_only=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    *)
      [[ " ${all_targets[*]} " == *" $1 "* ]] || { echo "fuzz.sh: no target '$1' (${all_targets[*]})" >&2; exit 2; }
      targets+=("$1") ;;
  esac
  shift
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

cxx=$(command -v clang++ || command -v clang++-14 || true)
[ -n "$cxx" ] || { echo "fuzz.sh: clang++ not found (scripts/setup.sh --deps installs it)" >&2; exit 2; }
launcher=()
command -v ccache >/dev/null && { launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); export CCACHE_BASEDIR="$PWD"; }
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_SANITIZE=ON \
  -DVIGIL_FUZZ=ON -DVIGIL_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]/%/_fuzz}"
[ "$build_only" = 1 ] && exit 0

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
crashes=()
for t in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$t artifacts=build-fuzz/crashes/$t
  mkdir -p "$corpus" "$artifacts"
  dict=()
  [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
  echo "fuzz.sh: $t for ${seconds}s"
  log=build-fuzz/fuzz-$t.log
  # One process at a time, niced: the fuzzers share the machine with everything else.
  if nice -n 10 "build-fuzz/tests/fuzz/${t}_fuzz" "$corpus" "tests/fuzz/$t" "${dict[@]}" \
      -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 -max_len=8192 \
      -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1; then
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec)|^Done ' "$log" | sed "s/^/  /" || true
  else
    tail -n 60 "$log"
    while IFS= read -r f; do crashes+=("$t: $f"); done < <(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log")
    [ -n "$(sed -n 's/.*Test unit written to //p' "$log")" ] || crashes+=("$t: failed without a reproducer (see $log)")
  fi
done

if [ ${#crashes[@]} -gt 0 ]; then
  echo "fuzz.sh: CRASH — reproducers:" >&2
  printf '  %s\n' "${crashes[@]}" >&2
  echo "replay one with build-fuzz/tests/fuzz/<target>_fuzz FILE; once fixed, keep it in tests/fuzz/<target>/" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets, ${seconds}s each, no crash"
