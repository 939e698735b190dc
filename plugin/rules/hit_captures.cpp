#include "plugin/rules/hit_captures.h"

#include "plugin/rules/rule_set_impl.h"

namespace vigil {

std::vector<Capture> hit_captures(const RuleSet& rules, const NormalizedText& text, const Hit& hit) {
  std::vector<Capture> out;
  const RuleSetImpl& impl = rules.impl();
  if (hit.rule >= impl.compiled.size()) return out;
  const re2::StringPiece input(text.text.data(), text.text.size());
  std::vector<re2::StringPiece> sub(impl.max_submatches);
  for (const CompiledPattern& p : impl.compiled[hit.rule].patterns) {
    const int n = p.re->NumberOfCapturingGroups() + 1;
    if (!p.re->Match(input, hit.norm_start, input.size(), re2::RE2::ANCHOR_START, sub.data(), n)) continue;
    if (sub[0].data() + sub[0].size() != input.data() + hit.norm_end) continue;  // another pattern made the hit
    for (const auto& [index, name] : p.re->CapturingGroupNames()) {
      const re2::StringPiece& g = sub[static_cast<size_t>(index)];
      if (g.data() == nullptr) continue;
      Capture c;
      c.name = name;
      c.text.assign(g.data(), g.size());
      c.norm_start = static_cast<uint32_t>(g.data() - input.data());
      c.norm_end = c.norm_start + static_cast<uint32_t>(g.size());
      if (c.norm_end > c.norm_start) {
        const OriginalSpan span = text.to_original(c.norm_start, c.norm_end);
        c.start = span.begin;
        c.end = span.end;
      }
      out.push_back(std::move(c));
    }
    break;
  }
  return out;
}

}  // namespace vigil
