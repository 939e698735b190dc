// How Vigil reads one text, as JSON: the one form of `vigil explain --json` and of
// POST /v1/explain (server/README.md), built here for both.
//   {"normalized": "...", "transforms": ["leetspeak", ...],
//    "hits": [{"rule", "stage", "description",
//              "start", "end",            byte span in the ORIGINAL text
//              "norm_start", "norm_end",  byte span in the normalised text
//              "age",                     the disclosed age, when the rule captures one
//              "shadow": true,            a shadow rule: reported, never scored
//              "captures": {name: {"text", "start", "end"}}}],  spans in the original text
//    "rules_version": "..."}
// Hits in the Matcher's order. Re-runs each hit's patterns for its captures
// (hit_captures.h): for explaining one text, not the hot path. Thread-safe.
// rules.scan_failed when Hyperscan could not scan the text (Matcher::match).
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string_view>

#include "plugin/common/error.h"
#include "plugin/normalize/normalizer.h"
#include "plugin/rules/rule_set.h"

namespace vigil {

Result<nlohmann::json> explain_json(const std::shared_ptr<const RuleSet>& rules, const Normalizer& normalizer,
                                    std::string_view text);

}  // namespace vigil
