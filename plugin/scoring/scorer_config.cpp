#include "plugin/scoring/scorer_config.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <initializer_list>
#include <optional>
#include <set>

#include "plugin/common/yaml_errors.h"

namespace vigil {
namespace {

constexpr double kMsPerHour = 3600.0 * 1000.0;

// Collects errors with the file and the YAML position of the node they concern.
class Reader {
 public:
  explicit Reader(YamlErrors& y) : y_(y) {}

  void fail(const YAML::Node& at, std::string field, std::string message, const char* code = "scorer.bad_value") {
    y_.add(at, code, std::move(message), std::move(field));
  }

  // Every key of `map` must be in `allowed`.
  void known_keys(const YAML::Node& map, const std::string& path, std::initializer_list<std::string_view> allowed) {
    for (const auto& kv : map) {
      const auto key = kv.first.as<std::string>();
      bool ok = false;
      for (auto a : allowed) ok = ok || a == key;
      if (!ok) fail(kv.first, path + "." + key, path + "." + key + " is not a scorer setting", "scorer.unknown_key");
    }
  }

  // A number in [lo, hi]; `required` false keeps `out` when the key is absent.
  void number(const YAML::Node& map, const std::string& path, const char* key, double lo, double hi, double& out,
              bool required = true) {
    const YAML::Node n = map[key];
    const std::string field = path + "." + key;
    if (!n) {
      if (required) fail(map, field, field + " is required", "scorer.missing_key");
      return;
    }
    double v = 0;
    try {
      v = n.as<double>();
    } catch (const YAML::Exception&) {
      fail(n, field, field + " must be a number");
      return;
    }
    if (!(v >= lo && v <= hi)) {
      fail(n, field, field + " must be between " + fmt(lo) + " and " + fmt(hi));
      return;
    }
    out = v;
  }

  size_t count() const { return y_.count(); }

 private:
  static std::string fmt(double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }
  YamlErrors& y_;
};

void parse_stages(Reader& r, const YAML::Node& node, const std::vector<std::string>& names, double default_cap,
                  double default_half_life_h, ScorerConfig& c) {
  if (!node || !node.IsMap()) {
    r.fail(node ? node : YAML::Node(), "scorer.stages", "scorer.stages must map every stage to its weight",
           "scorer.missing_key");
    return;
  }
  c.stages.resize(names.size());
  for (size_t i = 0; i < names.size(); ++i) c.stages[i].name = names[i];
  std::set<std::string> seen;
  for (const auto& kv : node) {
    const auto name = kv.first.as<std::string>();
    const std::string path = "scorer.stages." + name;
    size_t i = 0;
    while (i < names.size() && names[i] != name) ++i;
    if (i == names.size()) {
      r.fail(kv.first, path, name + " is not a stage of the `stages:` list", "scorer.unknown_stage");
      continue;
    }
    seen.insert(name);
    const YAML::Node& s = kv.second;
    if (!s.IsMap()) {
      r.fail(s, path, path + " must be a map with at least `weight`");
      continue;
    }
    if (s["urgent"]) {
      // The old meaning (any hit of the stage is urgent) let one ambiguous phrase make a
      // conversation urgent; say what replaced it rather than "unknown key".
      r.fail(s["urgent"], path + ".urgent",
             path + ".urgent is gone: mark unambiguous rules `urgent: true` in their pack, and use " + path +
                 ".urgent_with_stages for a hit of this stage on top of other stages",
             "scorer.unknown_key");
    }
    r.known_keys(s, path, {"weight", "cap", "half_life_hours", "urgent", "urgent_with_stages"});
    StageParams& p = c.stages[i];
    p.cap = default_cap;
    double half_life_h = default_half_life_h;
    r.number(s, path, "weight", 0, 100, p.weight);
    r.number(s, path, "cap", 0.01, 1000, p.cap, false);
    r.number(s, path, "half_life_hours", 0.01, 24.0 * 3650, half_life_h, false);
    double urgent_with = 0;
    r.number(s, path, "urgent_with_stages", 0, static_cast<double>(names.size()), urgent_with, false);
    if (urgent_with != std::floor(urgent_with))
      r.fail(s["urgent_with_stages"], path + ".urgent_with_stages",
             path + ".urgent_with_stages must be a whole number");
    p.urgent_with_stages = static_cast<int>(urgent_with);
    p.half_life_ms = half_life_h * kMsPerHour;
    p.decay_per_ms = std::log(2.0) / p.half_life_ms;
  }
  for (const auto& n : names)
    if (!seen.count(n))
      r.fail(node, "scorer.stages." + n, "stage " + n + " has no weight in scorer.stages", "scorer.missing_key");
}

void parse_levels(Reader& r, const YAML::Node& node, ScorerConfig& c) {
  if (!node || !node.IsMap()) {
    r.fail(node ? node : YAML::Node(), "levels", "stages.yaml needs a `levels:` map (none, watch, review, urgent)",
           "scorer.missing_key");
    return;
  }
  r.known_keys(node, "levels", {kLevelNames[0], kLevelNames[1], kLevelNames[2], kLevelNames[3]});
  for (size_t i = 0; i < kLevelCount; ++i) {
    const std::string name(kLevelNames[i]);
    const std::string path = "levels." + name;
    const YAML::Node l = node[name];
    if (!l || !l.IsMap()) {
      r.fail(l ? l : node, path, path + " is required, with `action` (and `min_risk` above none)",
             "scorer.missing_key");
      continue;
    }
    r.known_keys(l, path,
                 i == 0 ? std::initializer_list<std::string_view>{"action"}
                        : std::initializer_list<std::string_view>{"min_risk", "action"});
    if (i > 0) r.number(l, path, "min_risk", 0.01, 100, c.levels[i].min_risk);
    bool ok = false;
    const YAML::Node a = l["action"];
    if (a && a.IsScalar()) ok = from_string(a.as<std::string>(), c.levels[i].action);
    if (!ok) r.fail(a ? a : l, path + ".action", path + ".action must be allow, nudge, hold or escalate");
  }
  for (size_t i = 2; i < kLevelCount; ++i) {
    if (c.levels[i].min_risk <= c.levels[i - 1].min_risk) {
      r.fail(node, "levels." + std::string(kLevelNames[i]),
             "levels." + std::string(kLevelNames[i]) + ".min_risk must be above " + std::string(kLevelNames[i - 1]) +
                 "'s");
    }
  }
}

}  // namespace

Result<ScorerConfig, Errors> ScorerConfig::parse(std::string_view yaml, const std::vector<std::string>& stage_names,
                                                 const std::string& file) {
  Errors errors;
  YamlErrors y(file, errors, "scorer", "scorer.bad_yaml");
  std::optional<YAML::Node> root = y.parse(yaml);
  if (!root) return errors;
  if (!errors.empty()) return errors;
  return from_yaml(*root, stage_names, file);
}

Result<ScorerConfig, Errors> ScorerConfig::from_yaml(const YAML::Node& root,
                                                     const std::vector<std::string>& stage_names,
                                                     const std::string& file) {
  Errors errors;
  YamlErrors y(file, errors, "scorer", "scorer.bad_yaml");
  Reader r(y);
  ScorerConfig c;
  c.file = file;
  if (stage_names.empty() || stage_names.size() > static_cast<size_t>(kMaxStages))
    return Errors{
        Error("scorer.bad_stages", "the scorer supports 1 to " + std::to_string(kMaxStages) + " stages").at(file)};
  const YAML::Node s = root["scorer"];
  if (!s || !s.IsMap())
    return Errors{Error("scorer.missing_key", "stages.yaml needs a `scorer:` section").at(file).for_field("scorer")};
  r.known_keys(
      s, "scorer",
      {"half_life_hours", "default_cap", "repeat_discount", "reach_evidence", "distinct_stage_bonus", "in_order_bonus",
       "risk_scale", "adult_age", "new_account_days", "max_participants", "multipliers", "stages"});
  double half_life_h = 72, default_cap = 2, adult_age = 18, new_account_days = 30, max_participants = 50;
  r.number(s, "scorer", "half_life_hours", 0.01, 24.0 * 3650, half_life_h);
  r.number(s, "scorer", "default_cap", 0.01, 1000, default_cap);
  r.number(s, "scorer", "repeat_discount", 0, 1, c.repeat_discount);
  r.number(s, "scorer", "reach_evidence", 0.001, 1000, c.reach_evidence);
  r.number(s, "scorer", "distinct_stage_bonus", 0, 100, c.distinct_stage_bonus);
  r.number(s, "scorer", "in_order_bonus", 0, 100, c.in_order_bonus);
  r.number(s, "scorer", "risk_scale", 0.01, 1e6, c.risk_scale);
  r.number(s, "scorer", "adult_age", 1, 120, adult_age);
  r.number(s, "scorer", "new_account_days", 0, 36500, new_account_days);
  r.number(s, "scorer", "max_participants", 2, kMaxParticipantsLimit, max_participants, false);
  c.max_participants = static_cast<int>(max_participants);
  c.adult_age = static_cast<int>(adult_age);
  c.new_account_days = static_cast<int>(new_account_days);
  const YAML::Node m = s["multipliers"];
  if (!m || !m.IsMap()) {
    r.fail(m ? m : s, "scorer.multipliers", "scorer.multipliers is required", "scorer.missing_key");
  } else {
    r.known_keys(m, "scorer.multipliers",
                 {"other_minor", "others_adult", "sender_adult", "sender_unknown", "sender_minor", "new_account"});
    const std::string p = "scorer.multipliers";
    r.number(m, p, "other_minor", 0, 100, c.m_other_minor);
    r.number(m, p, "others_adult", 0, 1, c.m_others_adult, false);
    r.number(m, p, "sender_adult", 0, 100, c.m_sender_adult);
    r.number(m, p, "sender_unknown", 0, 100, c.m_sender_unknown);
    r.number(m, p, "sender_minor", 0, 100, c.m_sender_minor);
    r.number(m, p, "new_account", 0, 100, c.m_new_account);
  }
  parse_stages(r, s["stages"], stage_names, default_cap, half_life_h, c);
  parse_levels(r, root["levels"], c);
  if (errors.empty()) {
    // The benign-look-alike guarantee: one stage alone, however often repeated and in
    // the worst context, stays below review.
    for (const auto& st : c.stages) {
      const double worst = c.risk_for(st.weight * st.cap * c.max_multiplier());
      if (worst >= c.levels[static_cast<int>(Level::kReview)].min_risk) {
        r.fail(s["stages"][st.name], "scorer.stages." + st.name,
               "stage " + st.name + " alone can reach review (risk " + std::to_string(worst) +
                   "): lower its weight or cap, or the multipliers",
               "scorer.single_stage_reaches_review");
      }
    }
  }
  if (!errors.empty()) return errors;
  return c;
}

Level ScorerConfig::level_for(double risk) const {
  for (size_t i = kLevelCount - 1; i > 0; --i)
    if (risk >= levels[i].min_risk) return static_cast<Level>(i);
  return Level::kNone;
}

double ScorerConfig::risk_for(double score) const {
  return score <= 0 ? 0.0 : 100.0 * (1.0 - std::exp(-score / risk_scale));
}

double ScorerConfig::max_multiplier() const {
  const double sender = std::max({m_sender_adult, m_sender_unknown, m_sender_minor});
  return std::max(1.0, m_other_minor) * sender * std::max(1.0, m_new_account);
}

}  // namespace vigil
