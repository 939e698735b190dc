// The RE2 half of matching: for one rule that Hyperscan reported (or, on the RE2-only
// path, for every rule), the leftmost match over its patterns, the `unless` veto, the
// span in the original text and the disclosed age. Thread-safe (RE2 objects are);
// allocates nothing.
#pragma once

#include <re2/re2.h>

#include <cstdint>

#include "plugin/normalize/normalized_text.h"
#include "plugin/rules/matcher.h"
#include "plugin/rules/rule_set_impl.h"

namespace vigil {

// True when rule `rule` matches `text` and no `unless` pattern matches anywhere in it;
// then `hit` holds the leftmost match (the longest among patterns starting there).
// `submatches` has room for impl.max_submatches entries. `candidates`, when given, has
// a flag per pattern of the rule: only flagged patterns are tried (the ones Hyperscan
// reported; the others cannot match).
bool confirm_rule(const RuleSetImpl& impl, uint32_t rule, const NormalizedText& text, re2::StringPiece* submatches,
                  Hit& hit, const uint8_t* candidates = nullptr);

}  // namespace vigil
