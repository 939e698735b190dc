#include "plugin/scoring/explanation.h"

#include <cmath>

#include <nlohmann/json.hpp>

namespace vigil {
namespace {
double round3(double v) { return std::round(v * 1000.0) / 1000.0; }
}  // namespace

nlohmann::json explanation_to_json(const Explanation& e) {
  using nlohmann::json;
  json hits = json::array();
  for (const auto& h : e.hits) {
    json j = {{"rule", h.rule_id}, {"stage", h.stage}, {"weight", round3(h.weight)}};
    if (h.age >= 0) j["age"] = h.age;
    if (h.shadow) j["shadow"] = true;
    if (h.scored && h.stage != "age_signal") {
      j["repeat"] = h.repeat;
      j["added"] = round3(h.added);
    }
    j["scored"] = h.scored;
    hits.push_back(std::move(j));
  }
  json stages = json::array();
  for (const auto& s : e.stages) {
    stages.push_back({{"stage", s.stage},
                      {"evidence", round3(s.evidence)},
                      {"cap", round3(s.cap)},
                      {"weight", round3(s.weight)},
                      {"contribution", round3(s.contribution)},
                      {"first_reach", s.first_reach},
                      {"reached", s.reached}});
  }
  json mult = json::object();
  for (const auto& m : e.multipliers) mult[m.name] = round3(m.value);
  json j = {{"sender", e.sender_id},
            {"hits", std::move(hits)},
            {"subject", e.subject_id},
            {"stages", std::move(stages)},
            {"stage_sum", round3(e.stage_sum)},
            {"distinct_stages", e.distinct_stages},
            {"in_order", e.in_order},
            {"bonus", round3(e.bonus)},
            {"multipliers", std::move(mult)},
            {"multiplier", round3(e.multiplier)},
            {"score", round3(e.score)},
            {"risk", round3(e.risk)},
            {"urgent_sticky", e.urgent_sticky},
            {"reason", e.reason}};
  if (!e.excluded_ids.empty()) j["not_suspects"] = e.excluded_ids;
  if (!e.notes.empty()) j["notes"] = e.notes;
  return j;
}

}  // namespace vigil
