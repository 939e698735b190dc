// Rule and Stage: one validated rule of a pack, and one stage of the grooming model, as
// loaded from rules/*.yaml and rules/stages.yaml (formats in docs/rules.md).
// Plain data; owned by a RuleSet. Copyable, movable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vigil {

enum class RuleStatus : uint8_t {
  kStable,      // matched and scored
  kShadow,      // matched and reported, never scored
  kDeprecated,  // loaded and linted, never matched
};

// "stable", "shadow", "deprecated": as written in a pack's `status:`.
inline const char* to_string(RuleStatus s) {
  return s == RuleStatus::kShadow ? "shadow" : s == RuleStatus::kDeprecated ? "deprecated" : "stable";
}

struct Stage {
  std::string name;  // "access", "trust", ... as in stages.yaml
  std::string description;
  uint32_t order = 0;  // position in the usual order, 0-based
};

// The pseudo-stage of rules that capture a disclosed age rather than a behaviour.
inline constexpr const char* kAgeSignalStage = "age_signal";

struct Rule {
  std::string id;        // "en.secrecy.dont_tell"
  std::string pack;      // "en-core"
  std::string language;  // "en", "zh"
  std::string stage;     // a Stage name, or kAgeSignalStage
  int stage_index = -1;  // index into RuleSet::stages(); -1 for age_signal
  double weight = 1.0;
  std::string description;
  // age_signal rules with a (?P<grade>...) group: age = grade + grade_offset.
  int grade_offset = 0;
  RuleStatus status = RuleStatus::kStable;
  // Unambiguous coercion (threats to expose or share, demands tied to a secret): a scored
  // hit makes the conversation urgent at once (plugin/scoring/scorer.h). Never on
  // age_signal rules.
  bool urgent = false;
  std::string file;  // where it was defined, for errors and explain
  int line = 0;
  std::vector<std::string> patterns;  // expanded regexes (lists substituted), normalised-text form
  std::vector<std::string> unless;    // expanded regexes that veto a match in the same message
  std::vector<std::string> examples_match;
  std::vector<std::string> examples_no_match;

  bool is_age_signal() const { return stage_index < 0; }
};

}  // namespace vigil
