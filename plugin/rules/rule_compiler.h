// The compiling half of the rule loader: RE2 objects for every pattern and `unless` of
// every rule (checked by Hyperscan too, so an error names the pattern), the age/grade
// groups of age_signal rules, and the ONE Hyperscan database of all active patterns
// (from the on-disk cache when its key matches). Fills a RuleSetImpl whose `rules` are
// set; appends every problem to `errors`.
#pragma once

#include <vector>

#include "plugin/common/error.h"
#include "plugin/rules/pack_parser.h"
#include "plugin/rules/rule_set.h"
#include "plugin/rules/rule_set_impl.h"

namespace vigil {

// Compiles the RE2 side of impl.rules (sources parallel to them, for error marks).
void compile_re2(RuleSetImpl& impl, const std::vector<RuleSource>& sources, const RuleLoadOptions& options,
                 Errors& errors);

// Builds impl.db and impl.scratch_prototype from the active patterns RE2 accepted,
// reporting each pattern Hyperscan refuses. The cache is read and written only when
// `errors` is and stays empty; with errors, impl.db stays null.
void compile_hyperscan(RuleSetImpl& impl, const std::vector<RuleSource>& sources, const RuleLoadOptions& options,
                       Errors& errors);

}  // namespace vigil
