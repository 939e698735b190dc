// Explanation: why a verdict has its risk and level: the hits of the message and what
// each added, and the breakdown of the score that set the risk (capped stage evidence,
// stage bonus, each context multiplier). Filled by Scorer::score() when asked
// (`vigil replay --explain`); the engine adds rule and sender ids. Plain data, copyable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace vigil {

struct Explanation {
  struct HitPart {
    uint32_t rule = 0;    // index into the RuleSet
    std::string rule_id;  // filled by the engine
    std::string stage;    // stage name or "age_signal"
    double weight = 0;    // the rule's weight
    uint32_t repeat = 0;  // earlier hits of this rule by this sender
    double added = 0;     // evidence added: weight × repeat_discount^repeat (0 when not scored)
    int32_t age = -1;     // age_signal: the disclosed age
    bool shadow = false;  // shadow rules are reported, never scored
    bool scored = false;
  };
  struct StagePart {
    std::string stage;
    double evidence = 0;  // decayed
    double cap = 0;
    double weight = 0;
    double contribution = 0;  // weight × min(evidence, cap)
    int first_reach = 0;      // rank in which the stage was first reached, 0 never
    bool reached = false;     // evidence >= reach_evidence
  };
  struct Factor {
    std::string name;  // "other_minor", "others_adult", "sender_adult", "sender_unknown", "sender_minor", "new_account"
    double value = 1;
  };

  int sender = -1;  // participant index of the message's sender (-1: table full)
  std::string sender_id;
  std::vector<HitPart> hits;

  int subject = -1;  // participant whose score set the risk (-1: nobody eligible)
  std::string subject_id;
  std::vector<StagePart> stages;
  double stage_sum = 0;     // sum of contributions
  int distinct_stages = 0;  // stages reached
  int in_order = 0;         // longest run of reached stages in the usual order
  double bonus = 0;         // distinct_stage_bonus·(distinct−1) + in_order_bonus·(in_order−1)
  std::vector<Factor> multipliers;
  double multiplier = 1;  // product of multipliers
  double score = 0;       // multiplier × (stage_sum + bonus)
  double risk = 0;
  bool urgent_sticky = false;
  std::string reason;                     // how the level was reached, one sentence
  std::vector<int> excluded;              // known minors talking with an adult or unknown: never the suspect
  std::vector<std::string> excluded_ids;  // the same, as sender ids (filled by the engine)
  std::vector<std::string> notes;         // anything else worth knowing, one sentence each
};

nlohmann::json explanation_to_json(const Explanation& e);

}  // namespace vigil
