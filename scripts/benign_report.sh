#!/usr/bin/env bash
# Benign-corpus report (issue #5): how often the rules and the scorer fire on ordinary chat.
#
#   scripts/benign_report.sh [CORPORA_DIR]
#
# CORPORA_DIR holds <name>.messages.jsonl and <name>.labels.json (default: $VIGIL_CORPORA).
# The corpora are not part of this repository. For every corpus it runs
#   vigil rules stats   hits per rule per 10,000 messages, share, example spans
#   vigil eval          conversations at watch/review/urgent (label 0: every flag is a false positive)
# and ends with a summary against the targets: fewer than 1 in 200 benign conversations at
# review or above, and no rule in more than 1 in 100 messages unless its weight is small
# (<= 0.5) and its description says why.
#
# The corpora are read where they are, never copied; the test suite does not use them.
# Environment: VIGIL (binary, default build/vigil), VIGIL_RULES (default ./rules),
# OUT (folder for the full reports, default a temporary folder).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
corpora="${1:-${VIGIL_CORPORA:-}}"
if [[ -z "$corpora" || ! -d "$corpora" ]]; then
  echo "benign_report: give the folder of benign corpora (<name>.messages.jsonl + <name>.labels.json) as the argument or in VIGIL_CORPORA${corpora:+; not a folder: $corpora}" >&2
  exit 2
fi
vigil="${VIGIL:-$repo/build/vigil}"
rules="${VIGIL_RULES:-$repo/rules}"
out="${OUT:-$(mktemp -d)}"
small_weight=0.5

command -v python3 >/dev/null || { echo "python3 is needed to summarise the JSON reports" >&2; exit 1; }
[[ -x "$vigil" ]] || { echo "no vigil binary at $vigil (build first, or set VIGIL)" >&2; exit 1; }
[[ -d "$corpora" ]] || { echo "no corpora folder at $corpora (pass it, or set VIGIL_CORPORA)" >&2; exit 1; }
shopt -s nullglob
files=("$corpora"/*.messages.jsonl)
(( ${#files[@]} )) || { echo "no *.messages.jsonl in $corpora" >&2; exit 1; }
have_eval=0
"$vigil" eval --help >/dev/null 2>&1 && have_eval=1
mkdir -p "$out"

echo "# Benign-corpus report"
echo "rules: $rules   corpora: $corpora   full reports: $out"
echo
status=0
for f in "${files[@]}"; do
  name="$(basename "$f" .messages.jsonl)"
  "$vigil" rules stats --rules "$rules" --json "$f" >"$out/$name.stats.json"
  "$vigil" rules stats --rules "$rules" "$f" >"$out/$name.stats.txt"
  # One summary line per corpus, and every rule over 1% of messages with its weight.
  python3 - "$out/$name.stats.json" "$name" "$small_weight" <<'PY' || status=1
import json, sys
report, name, small = json.load(open(sys.argv[1])), sys.argv[2], float(sys.argv[3])
n = report["messages"]
top = [r for r in report["rules"] if r["hits"]][:3]
print(f"## {name}: {n} messages, {report['messages_with_stage_hits']} with a stage hit "
      f"({100.0 * report['messages_with_stage_hits'] / max(n, 1):.3f}%)")
print("   top rules: " + (", ".join(f"{r['rule']} {100 * r['share']:.3f}%" for r in top) or "none"))
bad = [r for r in report["rules"] if r["share"] > 0.01 and r["weight"] > small]
for r in report["rules"]:
    if r["share"] > 0.01:
        verdict = "OVER TARGET" if r in bad else "small weight"
        print(f"   > 1% of messages: {r['rule']} {100 * r['share']:.2f}% weight {r['weight']} ({verdict})")
sys.exit(1 if bad else 0)
PY
  labels="$corpora/$name.labels.json"
  if (( have_eval )) && [[ -f "$labels" ]]; then
    "$vigil" eval --rules "$rules" --labels "$labels" --json "$f" 2>/dev/null >"$out/$name.eval.json"
    python3 - "$out/$name.eval.json" <<'PY' || status=1
import json, sys
e = json.load(open(sys.argv[1]))
negatives = e.get("labelled_negative", 0)
fp = {level: e["levels"].get(level, {}).get("fp", 0) for level in ("watch", "review", "urgent")}
share = fp["review"] / negatives if negatives else 0.0
print(f"   eval: {negatives} conversations; flagged at watch+ {fp['watch']}, at review+ {fp['review']} "
      f"({100 * share:.3f}%), urgent {fp['urgent']}  target < 0.5%: {'ok' if share < 0.005 else 'OVER TARGET'}")
sys.exit(0 if share < 0.005 else 1)
PY
  elif (( ! have_eval )); then
    echo "   eval: not available in this build (vigil eval missing)"
  fi
done
# For scale: the same eval over the repository's synthetic grooming set (all label 1).
synthetic="$repo/tests/fixtures/conversations/synthetic"
if (( have_eval )) && compgen -G "$synthetic/*.jsonl" >/dev/null; then
  cat "$synthetic"/*.jsonl >"$out/synthetic.messages.jsonl"
  python3 - "$synthetic" "$out/synthetic.labels.json" <<'PY'
import glob, json, os, sys
labels = {}
for path in glob.glob(os.path.join(sys.argv[1], "*.jsonl")):
    first = json.loads(open(path).readline())
    expect = json.load(open(path[:-len(".jsonl")] + ".expect.json"))
    labels[first["conversation_id"]] = {"label": 1, "predator_ids": [expect["suspect_id"]]}
json.dump(labels, open(sys.argv[2], "w"))
PY
  "$vigil" eval --rules "$rules" --labels "$out/synthetic.labels.json" --json "$out/synthetic.messages.jsonl" \
    2>/dev/null >"$out/synthetic.eval.json"
  python3 - "$out/synthetic.eval.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
r = e["levels"]["review"]
print(f"## synthetic grooming set: {e['labelled_positive']} conversations, recall at review {r['recall']:.3f}, "
      f"read before the first review: median {100 * e['read_before_review']['median']:.0f}%, "
      f"p90 {100 * e['read_before_review']['p90']:.0f}%")
PY
fi
echo
if (( status == 0 )); then echo "all targets met"; else echo "some targets missed (see above)"; fi
exit "$status"
