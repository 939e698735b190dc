// ScorerConfig: every parameter of the sequence scorer, read from the `scorer:` and
// `levels:` sections of rules/stages.yaml (documented there, key by key). Nothing the
// scorer decides is a number in code; this is where the numbers come from.
//
// Parsing validates: unknown keys, missing stage weights, values out of range, and the
// safety invariant that ONE stage alone (capped evidence, every multiplier at its
// largest, no multi-stage bonus) cannot reach `review`: no stage is exempt, coercion
// included (what makes a conversation urgent at once is a rule's own `urgent` flag, not
// its stage).
// Immutable after parse; plain data, copyable, movable.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/common/error.h"
#include "plugin/common/types.h"

namespace YAML {
class Node;
}

namespace vigil {

// The largest `scorer.max_participants` accepted.
inline constexpr int kMaxParticipantsLimit = 1000;

struct StageParams {
  std::string name;
  double weight = 0;        // score per unit of capped evidence
  double cap = 0;           // evidence counted at most (more still decays from higher)
  double half_life_ms = 0;  // evidence halves in this time
  double decay_per_ms = 0;  // ln 2 / half_life_ms, derived
  // > 0: a scored hit of this stage makes the conversation urgent when its sender has
  // then reached at least this many distinct stages, this one included ("coercion on top
  // of other stages"). 0: a hit of this stage never makes it urgent by itself.
  int urgent_with_stages = 0;
};

struct LevelParams {
  double min_risk = 0;  // risk at or above gives the level (none: 0)
  Action action = Action::kAllow;
};

struct ScorerConfig {
  std::vector<StageParams> stages;  // in stages.yaml order (the usual order)
  double repeat_discount = 0.5;     // k-th repeat of one rule by one sender adds weight × d^k
  double reach_evidence = 0.3;      // a stage counts as reached while evidence >= this
  double distinct_stage_bonus = 0;  // per reached stage beyond the first
  double in_order_bonus = 0;        // per step of the longest in-usual-order run beyond the first
  double risk_scale = 5;            // risk = 100·(1 − e^(−score/scale))
  int adult_age = 18;               // disclosed age at or above: adult; below: minor
  int new_account_days = 30;        // account younger than this: new
  // Senders scored per conversation. A new sender past it takes the place of the least
  // risky one (never the riskiest, never the one who made it urgent).
  int max_participants = 50;
  // Context multipliers (the sender's score is multiplied by each that applies).
  double m_other_minor = 1;                       // another participant is a known minor
  double m_others_adult = 1;                      // every other participant is a known adult (at most 1; optional)
  double m_sender_adult = 1;                      // the sender is a known adult
  double m_sender_unknown = 1;                    // the sender's age is unknown
  double m_sender_minor = 1;                      // the sender is a known minor (peers)
  double m_new_account = 1;                       // the sender's account is new
  std::array<LevelParams, kLevelCount> levels{};  // indexed by Level
  std::string file;                               // where it came from, for errors

  // Parses the `scorer:` and `levels:` sections of `yaml` (the text of stages.yaml).
  // `stage_names` is the `stages:` list the rule loader read, in order.
  static Result<ScorerConfig, Errors> parse(std::string_view yaml, const std::vector<std::string>& stage_names,
                                            const std::string& file = "stages.yaml");
  // The same from stages.yaml's document already read (its root): how the rule loader
  // reads the file once for the stages and the scorer.
  static Result<ScorerConfig, Errors> from_yaml(const YAML::Node& root, const std::vector<std::string>& stage_names,
                                                const std::string& file);

  Level level_for(double risk) const;
  Action action_for(Level level) const { return levels[static_cast<int>(level)].action; }
  double risk_for(double score) const;
  // The largest product of multipliers any sender can get.
  double max_multiplier() const;
};

}  // namespace vigil
