// Runs the examples of every rule of a RuleSet through the real pipeline (Normalizer,
// then Matcher), as RuleSet::load does and `vigil rules test` reports: a `match`
// example must hit its rule, a `no_match` example must not. Deprecated rules are never
// matched, so their examples are checked against the rule's own RE2 patterns.
// Thread-safe; builds its own Matcher.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "plugin/common/error.h"
#include "plugin/normalize/normalizer.h"
#include "plugin/rules/rule_set.h"

namespace vigil {

struct RuleExampleResult {
  uint32_t rule = 0;  // index into RuleSet::rules()
  uint32_t match_passed = 0;
  uint32_t match_failed = 0;
  uint32_t no_match_passed = 0;
  uint32_t no_match_failed = 0;
};

struct ExampleReport {
  std::vector<RuleExampleResult> rules;  // one per rule, in rule order
  Errors errors;                         // one rules.example_failed per failing example; or rules.scan_failed alone
  bool ok() const { return errors.empty(); }
};

ExampleReport run_examples(const std::shared_ptr<const RuleSet>& rules, const Normalizer& normalizer);

}  // namespace vigil
