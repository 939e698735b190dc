// The named groups of one hit, for `vigil explain` and POST /v1/explain: which text the
// rule's (?P<name>...) groups took (the age, a handle, ...). Re-runs the rule's patterns
// at the hit, so it costs a regex match per pattern: for explaining, not the hot path.
// Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plugin/normalize/normalized_text.h"
#include "plugin/rules/matcher.h"
#include "plugin/rules/rule_set.h"

namespace vigil {

struct Capture {
  std::string name;
  std::string text;         // the captured normalised text
  uint32_t norm_start = 0;  // span in the normalised text
  uint32_t norm_end = 0;
  uint32_t start = 0;  // span in the original text
  uint32_t end = 0;
};

// The named groups that took part in `hit` (found in `text` by a Matcher of `rules`),
// in group order.
std::vector<Capture> hit_captures(const RuleSet& rules, const NormalizedText& text, const Hit& hit);

}  // namespace vigil
