#!/usr/bin/env bash
# Runs the console's browser tests (ctest: console_browser). Installs playwright-core from
# package-lock.json into OUT/deps with `npm ci` (again only when the lock file changes;
# no browser is downloaded: the tests drive Debian's /usr/bin/chromium), then runs the
# tests with Node's test runner.
#   tests/browser/run.sh VIGIL_BIN OUT
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$1" out="$2"
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is not installed (Node.js 20 or later)" >&2; exit 1; }
done
chromium="${VIGIL_CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] || { echo "run.sh: $chromium is missing: scripts/setup.sh --deps installs Debian's chromium" >&2; exit 1; }

deps="$out/deps"
mkdir -p "$deps"
if ! cmp -s "$here/package-lock.json" "$deps/package-lock.json" || [ ! -d "$deps/node_modules/playwright-core" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$deps/"
  (cd "$deps" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

export VIGIL_BIN="$bin" VIGIL_SOURCE_DIR="$(cd "$here/../.." && pwd)" VIGIL_BROWSER_OUT="$out" \
  VIGIL_BROWSER_DEPS="$deps" VIGIL_CHROMIUM="$chromium"
cd "$here"
exec node --test --test-concurrency=1 --test-timeout=120000 spans.test.mjs console.test.mjs
