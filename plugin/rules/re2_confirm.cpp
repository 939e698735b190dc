#include "plugin/rules/re2_confirm.h"

#include "plugin/rules/age_capture.h"

namespace vigil {

namespace {

int age_from(const CompiledPattern& p, const Rule& rule, const re2::StringPiece* sub) {
  if (p.age_group > 0 && sub[p.age_group].data() != nullptr) {
    return parse_age(std::string_view(sub[p.age_group].data(), sub[p.age_group].size()));
  }
  if (p.grade_group > 0 && sub[p.grade_group].data() != nullptr) {
    const int grade = parse_grade(std::string_view(sub[p.grade_group].data(), sub[p.grade_group].size()));
    return grade < 0 ? -1 : grade + rule.grade_offset;
  }
  return -1;
}

}  // namespace

bool confirm_rule(const RuleSetImpl& impl, uint32_t rule, const NormalizedText& text, re2::StringPiece* sub, Hit& hit,
                  const uint8_t* candidates) {
  const CompiledRule& cr = impl.compiled[rule];
  const re2::StringPiece input(text.text.data(), text.text.size());
  int best = -1;
  size_t best_start = 0;
  size_t best_end = 0;
  for (size_t p = 0; p < cr.patterns.size(); ++p) {
    if (candidates != nullptr && candidates[p] == 0) continue;
    if (!cr.patterns[p].re->Match(input, 0, input.size(), re2::RE2::UNANCHORED, sub, 1)) continue;
    const size_t start = static_cast<size_t>(sub[0].data() - input.data());
    const size_t end = start + sub[0].size();
    if (best < 0 || start < best_start || (start == best_start && end > best_end)) {
      best = static_cast<int>(p);
      best_start = start;
      best_end = end;
    }
  }
  if (best < 0) return false;
  for (const auto& u : cr.unless) {
    if (u->Match(input, 0, input.size(), re2::RE2::UNANCHORED, nullptr, 0)) return false;
  }
  hit.rule = rule;
  hit.norm_start = static_cast<uint32_t>(best_start);
  hit.norm_end = static_cast<uint32_t>(best_end);
  if (best_end > best_start) {
    const OriginalSpan span = text.to_original(hit.norm_start, hit.norm_end);
    hit.start = span.begin;
    hit.end = span.end;
  } else {
    // Only a pattern that can match empty gets here, and the loader refuses those.
    hit.start = hit.end = best_start < text.origin.size() ? text.origin[best_start].begin : 0;
  }
  hit.age = -1;
  const Rule& r = impl.rules[rule];
  if (r.is_age_signal()) {
    const CompiledPattern& p = cr.patterns[static_cast<size_t>(best)];
    const int n = p.re->NumberOfCapturingGroups() + 1;
    // Anchored at the leftmost start, RE2 finds the same match, now with its groups.
    if (p.re->Match(input, best_start, input.size(), re2::RE2::ANCHOR_START, sub, n)) hit.age = age_from(p, r, sub);
  }
  return true;
}

}  // namespace vigil
