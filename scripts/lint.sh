#!/usr/bin/env bash
# Style checks that CI enforces (.ci/run):
#   clang-format  every tracked C/C++ file matches .clang-format (no rewrite, a diff is an error);
#   clang-tidy    the checks in .clang-tidy, as errors, on the sources of plugin/, server/ and
#                 cli/ changed since the base commit (a changed header brings its .cpp).
# The base is $VIGIL_LINT_BASE, else the commit named in .ci/tidy-base: the last one at
# which every source passed clang-tidy (`--all` checks them all; move the base forward
# after such a run). clang-tidy reads BUILD_DIR/compile_commands.json.
#   scripts/lint.sh [--all] [BUILD_DIR]     (BUILD_DIR default: build)
set -euo pipefail
cd "$(dirname "$0")/.."

all=0 build=build
for arg in "$@"; do
  case "$arg" in
    --all) all=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "lint.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
    *) build=$arg ;;
  esac
done
for tool in clang-format clang-tidy; do
  command -v "$tool" >/dev/null || { echo "lint.sh: $tool is missing (scripts/setup.sh --deps)" >&2; exit 2; }
done

mapfile -t sources < <(git ls-files '*.c' '*.cpp' '*.h')
echo "lint: clang-format on ${#sources[@]} files"
clang-format --dry-run -Werror "${sources[@]}"

[ -f "$build/compile_commands.json" ] ||
  { echo "lint.sh: $build/compile_commands.json is missing (build first: scripts/test.sh)" >&2; exit 2; }
if [ "$all" = 1 ]; then
  mapfile -t changed < <(git ls-files 'plugin/*.cpp' 'server/*.cpp' 'cli/*.cpp')
else
  base=${VIGIL_LINT_BASE:-$(cat .ci/tidy-base)}
  git cat-file -e "$base^{commit}" 2>/dev/null ||
    { echo "lint.sh: the base commit '$base' is not in this clone (set VIGIL_LINT_BASE or use --all)" >&2; exit 2; }
  changed=()
  while IFS= read -r f; do
    case "$f" in
      *.cpp) [ -f "$f" ] && changed+=("$f") ;;
      *.h) [ -f "${f%.h}.cpp" ] && changed+=("${f%.h}.cpp") ;;
    esac
  done < <(git diff --name-only "$base" -- plugin server cli | sort -u)
  mapfile -t changed < <(printf '%s\n' "${changed[@]}" | sort -u | sed '/^$/d')
fi
echo "lint: clang-tidy on ${#changed[@]} sources"
[ ${#changed[@]} -eq 0 ] && exit 0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
printf '%s\n' "${changed[@]}" |
  xargs -P"$(nproc)" -n4 clang-tidy -p "$build" --quiet --warnings-as-errors='*' >"$log" 2>&1 || status=$?
grep -v '^[0-9]* warnings\? \(and [0-9]* errors\? \)\?generated\.$' "$log" || true
[ "$status" = 0 ] || { echo "lint: clang-tidy found problems (above)" >&2; exit 1; }
echo "lint: clean"
