#include "plugin/rules/matcher.h"

#include <algorithm>
#include <string>

#include "plugin/rules/re2_confirm.h"
#include "plugin/rules/rule_set_impl.h"

namespace vigil {

namespace {

// What the Hyperscan callback fills during one scan.
struct ScanState {
  const std::vector<uint32_t>* id_rule = nullptr;
  std::vector<uint8_t> pattern_seen;  // per match id: reported in this scan
  std::vector<uint8_t> rule_seen;     // per rule: one of its patterns reported
  std::vector<uint32_t> reported;     // the rules reported, each once
};

int on_hs_match(unsigned int id, unsigned long long /*from*/, unsigned long long /*to*/, unsigned int /*flags*/,
                void* context) {
  auto* s = static_cast<ScanState*>(context);
  s->pattern_seen[id] = 1;
  const uint32_t rule = (*s->id_rule)[id];
  if (!s->rule_seen[rule]) {
    s->rule_seen[rule] = 1;
    s->reported.push_back(rule);
  }
  return 0;  // keep scanning: every rule that hits is wanted
}

Error scan_failed(const char* what, hs_error_t code) {
  return Error("rules.scan_failed", std::string(what) + " failed (Hyperscan error " + std::to_string(code) +
                                        "): the message was not scanned")
      .as(ErrorKind::kUnavailable);
}

// A private copy of the rule set's scratch; null and `error` set when Hyperscan cannot
// make one (it allocates: out of memory).
HsScratchPtr clone_scratch(const RuleSetImpl& impl, hs_error_t& error) {
  hs_scratch_t* clone = nullptr;
  error = hs_clone_scratch(impl.scratch_prototype.get(), &clone);
  return HsScratchPtr(error == HS_SUCCESS ? clone : nullptr);
}

void sort_by_start(HitList& out) {
  std::sort(out.begin(), out.end(),
            [](const Hit& a, const Hit& b) { return a.start != b.start ? a.start < b.start : a.rule < b.rule; });
}

}  // namespace

struct Matcher::Scratch {
  HsScratchPtr hs;
  hs_error_t clone_error = HS_SUCCESS;  // why `hs` is null while the rule set has a database
  ScanState scan;
  std::vector<re2::StringPiece> submatches;
};

Matcher::Matcher(std::shared_ptr<const RuleSet> rules)
    : rules_(std::move(rules)), scratch_(std::make_unique<Scratch>()) {
  const RuleSetImpl& impl = rules_->impl();
  if (impl.scratch_prototype) scratch_->hs = clone_scratch(impl, scratch_->clone_error);
  scratch_->scan.id_rule = &impl.id_rule;
  scratch_->scan.pattern_seen.assign(impl.id_rule.size(), 0);
  scratch_->scan.rule_seen.assign(impl.rules.size(), 0);
  scratch_->scan.reported.reserve(impl.rules.size());
  scratch_->submatches.resize(impl.max_submatches);
}

Matcher::~Matcher() = default;
Matcher::Matcher(Matcher&&) noexcept = default;
Matcher& Matcher::operator=(Matcher&&) noexcept = default;

Status<> Matcher::match(const NormalizedText& text, HitList& out) {
  out.clear();
  const RuleSetImpl& impl = rules_->impl();
  Scratch& s = *scratch_;
  if (!impl.db || text.text.empty()) return {};  // no rule (or no text) to scan: truly no hits
  if (!s.hs) {
    s.hs = clone_scratch(impl, s.clone_error);
    if (!s.hs) return scan_failed("hs_clone_scratch", s.clone_error);
  }
  const hs_error_t scanned = hs_scan(impl.db.get(), text.text.data(), static_cast<unsigned int>(text.text.size()), 0,
                                     s.hs.get(), on_hs_match, &s.scan);
  if (scanned != HS_SUCCESS) {
    // Partial reports are dropped: the callback never stops a scan, so any error is a fault.
    for (uint32_t r : s.scan.reported) {
      s.scan.rule_seen[r] = 0;
      std::fill_n(s.scan.pattern_seen.data() + impl.first_id[r], impl.compiled[r].patterns.size(), 0);
    }
    s.scan.reported.clear();
    return scan_failed("hs_scan", scanned);
  }
  // Rule order, not report order, so hits do not depend on how Hyperscan reports.
  std::sort(s.scan.reported.begin(), s.scan.reported.end());
  for (uint32_t r : s.scan.reported) {
    s.scan.rule_seen[r] = 0;
    uint8_t* candidates = s.scan.pattern_seen.data() + impl.first_id[r];
    Hit hit;
    if (confirm_rule(impl, r, text, s.submatches.data(), hit, candidates)) out.push_back(hit);
    std::fill_n(candidates, impl.compiled[r].patterns.size(), 0);
  }
  s.scan.reported.clear();
  sort_by_start(out);
  return {};
}

void match_with_re2_only(const RuleSet& rules, const NormalizedText& text, HitList& out) {
  out.clear();
  const RuleSetImpl& impl = rules.impl();
  std::vector<re2::StringPiece> submatches(impl.max_submatches);
  for (uint32_t r : impl.active) {
    Hit hit;
    if (confirm_rule(impl, r, text, submatches.data(), hit)) out.push_back(hit);
  }
  sort_by_start(out);
}

}  // namespace vigil
