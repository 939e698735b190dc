#include "plugin/rules/explain.h"

#include "plugin/rules/hit_captures.h"
#include "plugin/rules/matcher.h"

namespace vigil {

using nlohmann::json;

Result<json> explain_json(const std::shared_ptr<const RuleSet>& rules, const Normalizer& normalizer,
                          std::string_view text) {
  NormalizedText norm;
  NormalizeScratchPtr scratch = make_normalize_scratch();
  normalizer.normalize(text, norm, *scratch);
  HitList hits;
  if (Status<> scanned = Matcher(rules).match(norm, hits); !scanned) return scanned.error();

  json transforms = json::array();
  for (std::string_view t : transform_names(norm.transforms)) transforms.push_back(t);
  json out_hits = json::array();
  for (const Hit& h : hits) {
    const Rule& rule = rules->rules()[h.rule];
    json hit = {{"rule", rule.id}, {"stage", rule.stage},        {"description", rule.description}, {"start", h.start},
                {"end", h.end},    {"norm_start", h.norm_start}, {"norm_end", h.norm_end}};
    if (h.age >= 0) hit["age"] = h.age;
    if (rule.status == RuleStatus::kShadow) hit["shadow"] = true;
    json captures = json::object();
    for (const Capture& c : hit_captures(*rules, norm, h))
      captures[c.name] = {{"text", c.text}, {"start", c.start}, {"end", c.end}};
    hit["captures"] = std::move(captures);
    out_hits.push_back(std::move(hit));
  }
  return json{{"normalized", norm.text},
              {"transforms", std::move(transforms)},
              {"hits", std::move(out_hits)},
              {"rules_version", rules->version()}};
}

}  // namespace vigil
