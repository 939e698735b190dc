#!/usr/bin/env bash
# Installs every dependency of Vigil from Debian 12 packages (idempotent) and builds the
# Release binary at build/vigil.
#   scripts/setup.sh            install and build
#   scripts/setup.sh --deps     install only
#   scripts/setup.sh --bench    also install what the load benchmarks compare against
set -euo pipefail
cd "$(dirname "$0")/.."

deps_only=0 bench=0
for arg in "$@"; do
  case "$arg" in
    --deps) deps_only=1 ;;
    --bench) bench=1 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

# Hyperscan exists on x86 only; Vectorscan is its drop-in elsewhere.
hs=libhyperscan-dev
[ "$(dpkg --print-architecture 2>/dev/null || echo amd64)" = amd64 ] || hs=libvectorscan-dev

packages=(
  build-essential cmake pkg-config git
  libboost1.81-dev "$hs" libre2-dev libspdlog-dev libfmt-dev nlohmann-json3-dev catch2
  libyaml-cpp-dev libicu-dev libopencc-dev opencc libsqlite3-dev sqlite3 libcli11-dev
  libbenchmark-dev libssl-dev curl python3 ccache
  chromium fonts-wqy-zenhei
  clang libclang-rt-14-dev clang-format clang-tidy   # fuzzing; scripts/lint.sh
  prosody python3-slixmpp   # tests/e2e: a real chat server and XMPP clients (plugin/prosody)
)
# The console's browser tests (tests/browser/) drive chromium (a CJK font so Chinese text
# renders in their screenshots) on Node.js 20 or later with npm.
command -v node >/dev/null || packages+=(nodejs npm)
[ "$bench" = 1 ] && packages+=(nginx-light wrk)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: every dependency is installed"
fi

[ "$deps_only" = 1 ] && exit 0
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target vigil
echo "setup: built build/vigil"
