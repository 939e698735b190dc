// The sequence scorer as a pure unit, fed hand-built hits, with the shipped
// rules/stages.yaml configuration (so these tests also guard the shipped numbers).
#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

#include "plugin/scoring/scorer.h"

namespace vigil {
namespace {

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kT0 = 1'700'000'000'000;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> stage_names(const std::string& yaml) {
  std::vector<std::string> names;
  for (const auto& s : YAML::Load(yaml)["stages"]) names.push_back(s["name"].as<std::string>());
  return names;
}

const std::string& shipped_yaml() {
  static const std::string text = read_file(std::string(VIGIL_SOURCE_DIR) + "/rules/stages.yaml");
  return text;
}

Scorer shipped_scorer() {
  auto cfg = ScorerConfig::parse(shipped_yaml(), stage_names(shipped_yaml()));
  if (!cfg) FAIL(to_text(cfg.error()));
  return Scorer(std::move(cfg.value()));
}

// Builds a hit of `stage` (a name, or "age_signal") from rule number `rule`.
struct Hits {
  explicit Hits(const Scorer& s) : scorer(s) {}
  const Scorer& scorer;
  std::vector<ScoreHit> list;
  Hits& add(const std::string& stage, uint32_t rule, double weight = 1.0, int age = -1, bool shadow = false,
            bool urgent = false) {
    ScoreHit h;
    h.urgent = urgent;
    h.rule = rule;
    h.rule_key = static_cast<uint16_t>(rule + 1);
    h.weight = weight;
    h.age = age;
    h.shadow = shadow;
    h.stage = -1;
    for (size_t i = 0; i < scorer.config().stages.size(); ++i)
      if (scorer.config().stages[i].name == stage) h.stage = static_cast<int>(i);
    list.push_back(h);
    return *this;
  }
};

int stage_of(const Scorer& s, const char* name) {
  for (size_t i = 0; i < s.config().stages.size(); ++i)
    if (s.config().stages[i].name == name) return static_cast<int>(i);
  return -1;
}

SenderInfo who(uint64_t id, AgeBand band = AgeBand::kUnknown, int account_days = -1) {
  return SenderInfo{id, band, account_days};
}

constexpr uint64_t kAdult = 11, kChild = 22, kThird = 33;

}  // namespace

TEST_CASE("the shipped scorer configuration parses and keeps single stages below review") {
  auto cfg = ScorerConfig::parse(shipped_yaml(), stage_names(shipped_yaml()));
  REQUIRE(cfg.ok());
  CHECK(cfg->stages.size() == 8);
  CHECK(cfg->stages[stage_of(Scorer(cfg.value()), "coercion")].urgent_with_stages >= 2);
  CHECK(cfg->stages[stage_of(Scorer(cfg.value()), "trust")].half_life_ms == Approx(336.0 * kHour));
  // No stage is exempt, coercion included.
  for (const auto& st : cfg->stages) {
    INFO(st.name);
    CHECK(cfg->risk_for(st.weight * st.cap * cfg->max_multiplier()) < cfg->levels[2].min_risk);
  }
}

TEST_CASE("scorer configuration errors are data with a field and a line") {
  const auto names = stage_names(shipped_yaml());
  SECTION("unknown key") {
    std::string y = shipped_yaml();
    y.replace(y.find("  half_life_hours: 168"), 0, "  halflife: 3\n");
    auto cfg = ScorerConfig::parse(y, names);
    REQUIRE_FALSE(cfg.ok());
    CHECK(cfg.error()[0].code == "scorer.unknown_key");
    CHECK(cfg.error()[0].field == "scorer.halflife");
    CHECK(cfg.error()[0].line > 0);
  }
  SECTION("a single stage heavy enough to reach review alone") {
    std::string y = shipped_yaml();
    const std::string from = "secrecy:         {weight: 1.2}";
    y.replace(y.find(from), from.size(), "secrecy:         {weight: 4.0}");
    auto cfg = ScorerConfig::parse(y, names);
    REQUIRE_FALSE(cfg.ok());
    CHECK(cfg.error()[0].code == "scorer.single_stage_reaches_review");
    CHECK(cfg.error()[0].field == "scorer.stages.secrecy");
  }
  SECTION("a stage without a weight, levels out of order") {
    std::string y = shipped_yaml();
    const std::string meeting = "    meeting:         {weight: 1.1}\n";
    y.replace(y.find(meeting), meeting.size(), "");
    y.replace(y.find("min_risk: 90"), 12, "min_risk: 50");
    auto cfg = ScorerConfig::parse(y, names);
    REQUIRE_FALSE(cfg.ok());
    std::vector<std::string> fields;
    for (const auto& e : cfg.error()) fields.push_back(e.field);
    CHECK(std::find(fields.begin(), fields.end(), "scorer.stages.meeting") != fields.end());
    CHECK(std::find(fields.begin(), fields.end(), "levels.urgent") != fields.end());
  }
  SECTION("the old stage-level urgent flag is refused with what replaced it") {
    std::string y = shipped_yaml();
    const std::string from = "urgent_with_stages: 3}";
    y.replace(y.find(from), from.size(), "urgent: true}");
    auto cfg = ScorerConfig::parse(y, names);
    REQUIRE_FALSE(cfg.ok());
    CHECK(cfg.error()[0].field == "scorer.stages.coercion.urgent");
    CHECK(cfg.error()[0].message.find("urgent_with_stages") != std::string::npos);
  }
  SECTION("coercion is held to the single-stage rule like every stage") {
    std::string y = shipped_yaml();
    const std::string from = "coercion:        {weight: 1.2, cap: 1.5";
    y.replace(y.find(from), from.size(), "coercion:        {weight: 3.0, cap: 2.0");
    auto cfg = ScorerConfig::parse(y, names);
    REQUIRE_FALSE(cfg.ok());
    CHECK(cfg.error()[0].code == "scorer.single_stage_reaches_review");
    CHECK(cfg.error()[0].field == "scorer.stages.coercion");
  }
  SECTION("missing sections") {
    auto cfg = ScorerConfig::parse("stages: []\n", names);
    REQUIRE_FALSE(cfg.ok());
    CHECK(cfg.error()[0].code == "scorer.missing_key");
  }
}

TEST_CASE("evidence decays by the stage's half-life") {
  const Scorer s = shipped_scorer();
  ConversationState st;
  const int isolation = stage_of(s, "isolation"), trust = stage_of(s, "trust");
  s.score(st, who(kAdult), Hits(s).add("isolation", 1).add("trust", 2).list, kT0);
  CHECK(st.p[0].evidence[isolation] == Approx(1.0));
  s.score(st, who(kAdult), {}, kT0 + 168 * kHour);
  CHECK(st.p[0].evidence[isolation] == Approx(0.5).epsilon(1e-4));
  CHECK(st.p[0].evidence[trust] == Approx(std::pow(0.5, 168.0 / 336.0)).epsilon(1e-4));
  SECTION("a message from the past does not decay or un-decay") {
    s.score(st, who(kAdult), {}, kT0);
    CHECK(st.p[0].evidence[isolation] == Approx(0.5).epsilon(1e-4));
    CHECK(st.last_ts_ms == kT0 + 168 * kHour);
  }
}

TEST_CASE("the same rule repeating gives diminishing returns; other rules count in full") {
  const Scorer s = shipped_scorer();
  const int secrecy = stage_of(s, "secrecy");
  ConversationState a, b;
  for (int i = 0; i < 3; ++i) s.score(a, who(kAdult), Hits(s).add("secrecy", 7, 0.4).list, kT0);
  CHECK(a.p[0].evidence[secrecy] == Approx(0.4 * (1 + 0.5 + 0.25)));
  for (uint32_t r = 0; r < 3; ++r) s.score(b, who(kAdult), Hits(s).add("secrecy", r, 0.4).list, kT0);
  CHECK(b.p[0].evidence[secrecy] == Approx(1.2));
  Explanation ex;
  s.score(a, who(kAdult), Hits(s).add("secrecy", 7, 0.4).list, kT0, &ex);
  REQUIRE(ex.hits.size() == 1);
  CHECK(ex.hits[0].repeat == 3);
  CHECK(ex.hits[0].added == Approx(0.4 * 0.125));
}

TEST_CASE("one stage alone never reaches review, however often and in the worst context") {
  const Scorer s = shipped_scorer();
  for (const auto& stage : s.config().stages) {
    ConversationState st;
    s.score(st, who(kChild, AgeBand::kMinor), Hits(s).add("age_signal", 90, 1, 12).list, kT0);
    ScoreOutcome out;
    for (uint32_t i = 0; i < 40; ++i)
      out = s.score(st, who(kAdult, AgeBand::kAdult, 2), Hits(s).add(stage.name, i, 1.5).list, kT0 + i * 1000);
    INFO(stage.name);
    CHECK(out.level < Level::kReview);
    CHECK(out.risk > 0);
  }
}

TEST_CASE("a classic progression towards a disclosed minor reaches review and names the adult") {
  const Scorer s = shipped_scorer();
  ConversationState st;
  int64_t t = kT0;
  auto step = [&](uint64_t id, Hits h) { return s.score(st, who(id), h.list, t += 60'000); };
  step(kAdult, Hits(s).add("access", 1));
  step(kChild, Hits(s).add("age_signal", 2, 1, 13));
  step(kAdult, Hits(s).add("trust", 3));
  step(kAdult, Hits(s).add("isolation", 4));
  ScoreOutcome mid = step(kAdult, Hits(s).add("secrecy", 5));
  CHECK(mid.level >= Level::kWatch);
  ScoreOutcome out = step(kAdult, Hits(s).add("platform_move", 6));
  CHECK(out.level >= Level::kReview);
  CHECK(out.suspect == 0);
  CHECK(st.p[0].id_hash == kAdult);
  CHECK(out.action == s.config().action_for(out.level));
}

TEST_CASE("the same stages without any minor in the chat score lower") {
  const Scorer s = shipped_scorer();
  auto run = [&](int child_age) {
    ConversationState st;
    s.score(st, who(kChild), Hits(s).add("age_signal", 2, 1, child_age).list, kT0);
    ScoreOutcome out;
    for (const char* stage : {"access", "trust", "isolation", "secrecy"})
      out = s.score(st, who(kAdult), Hits(s).add(stage, 10).list, kT0 + 1000);
    return out.risk;
  };
  CHECK(run(13) > run(30) * 1.3);
}

TEST_CASE("multipliers: minor context, adult or unknown sender, new account") {
  const Scorer s = shipped_scorer();
  const auto& c = s.config();
  auto score_with = [&](AgeBand sender_band, int account_days, AgeBand other_band) {
    ConversationState st;
    s.score(st, who(kChild, other_band), {}, kT0);
    Explanation ex;
    s.score(st, who(kAdult, sender_band, account_days), Hits(s).add("isolation", 1).add("secrecy", 2).list, kT0, &ex);
    return ex;
  };
  const Explanation base = score_with(AgeBand::kUnknown, -1, AgeBand::kUnknown);
  CHECK(base.multiplier == Approx(c.m_sender_unknown));
  const Explanation minor = score_with(AgeBand::kUnknown, -1, AgeBand::kMinor);
  CHECK(minor.multiplier == Approx(c.m_sender_unknown * c.m_other_minor));
  const Explanation adult_new = score_with(AgeBand::kAdult, 3, AgeBand::kMinor);
  CHECK(adult_new.multiplier == Approx(c.m_sender_adult * c.m_other_minor * c.m_new_account));
  CHECK(adult_new.score > minor.score);
  const Explanation old_account = score_with(AgeBand::kAdult, 400, AgeBand::kUnknown);
  CHECK(old_account.multiplier == Approx(c.m_sender_adult));
  CHECK(base.distinct_stages == 2);
  CHECK(base.bonus == Approx(c.distinct_stage_bonus + c.in_order_bonus));
}

TEST_CASE("others_adult damps a sender only while every other participant is a known adult") {
  const Scorer s = shipped_scorer();
  const auto& c = s.config();
  REQUIRE(c.m_others_adult < 1.0);
  auto multiplier = [&](std::vector<int> other_ages) {
    ConversationState st;
    uint64_t id = 100;
    for (int age : other_ages) s.score(st, who(id++), Hits(s).add("age_signal", 1, 1, age).list, kT0);
    Explanation ex;
    s.score(st, who(kAdult), Hits(s).add("trust", 2).add("meeting", 3).list, kT0, &ex);
    return ex.multiplier;
  };
  CHECK(multiplier({30}) == Approx(c.m_sender_unknown * c.m_others_adult));
  CHECK(multiplier({30, 41}) == Approx(c.m_sender_unknown * c.m_others_adult));
  CHECK(multiplier({30, -1}) == Approx(c.m_sender_unknown));  // one other of unknown age
  CHECK(multiplier({30, 13}) == Approx(c.m_sender_unknown * c.m_other_minor));
  CHECK(multiplier({}) == Approx(c.m_sender_unknown));  // nobody else yet
  SECTION("optional in stages.yaml, at most 1") {
    std::string y = shipped_yaml();
    const std::string from = "    others_adult: 0.7\n";
    REQUIRE(y.find(from) != std::string::npos);
    std::string without = y;
    without.replace(without.find(from), from.size(), "");
    auto cfg = ScorerConfig::parse(without, stage_names(without));
    REQUIRE(cfg.ok());
    CHECK(cfg->m_others_adult == 1.0);
    y.replace(y.find(from), from.size(), "    others_adult: 1.5\n");
    CHECK_FALSE(ScorerConfig::parse(y, stage_names(y)).ok());
  }
}

TEST_CASE("a sender's own disclosed age never makes them a suspect") {
  const Scorer s = shipped_scorer();
  ConversationState st;
  s.score(st, who(kChild), {}, kT0);
  ScoreOutcome out;
  for (int i = 0; i < 10; ++i) out = s.score(st, who(kAdult), Hits(s).add("age_signal", 1, 1, 35).list, kT0);
  CHECK(out.level == Level::kNone);
  CHECK(out.risk == 0);
  CHECK(s.age_status(st.p[1]) == AgeStatus::kAdult);
}

TEST_CASE("a platform minor is never the suspect while another participant is not one") {
  const Scorer s = shipped_scorer();
  ConversationState st;
  int64_t t = kT0;
  // The child asks the very questions a groomer asks; the other sender says little.
  s.score(st, who(kChild, AgeBand::kMinor), {}, t += 1000);
  s.score(st, who(kAdult), {}, t += 1000);
  ScoreOutcome out;
  for (const char* stage : {"access", "isolation", "secrecy", "platform_move", "meeting"})
    out = s.score(st, who(kChild, AgeBand::kMinor), Hits(s).add(stage, 2).list, t += 1000);
  CHECK_FALSE(s.eligible(st, 0));
  CHECK(out.suspect != 0);
  CHECK(out.level == Level::kNone);
  SECTION("the other sender's claim of youth does not make the child eligible") {
    s.score(st, who(kAdult), Hits(s).add("age_signal", 3, 1, 14).list, t += 1000);
    CHECK_FALSE(s.eligible(st, 0));
    CHECK(s.eligible(st, 1));
  }
  SECTION("two platform minors: both may be suspects") {
    s.score(st, who(kAdult, AgeBand::kMinor), {}, t += 1000);
    CHECK(s.eligible(st, 0));
    CHECK(s.evaluate(st).top == 0);
  }
  SECTION("the platform's adult band ends the exemption") {
    s.score(st, who(kChild, AgeBand::kAdult), {}, t += 1000);
    CHECK(s.eligible(st, 0));
  }
}

TEST_CASE("a disclosure is context for the others, never evidence against its writer") {
  const Scorer s = shipped_scorer();
  ConversationState st;
  ScoreOutcome out;
  for (int i = 0; i < 5; ++i) out = s.score(st, who(kChild), Hits(s).add("age_signal", 1, 1, 13).list, kT0 + i);
  for (float e : st.p[0].evidence) CHECK(e == 0);
  CHECK(out.risk == 0);
  CHECK(out.suspect == -1);
  // The disclosure raises the OTHER participant's score (other_minor) ...
  Explanation ex;
  s.score(st, who(kAdult), Hits(s).add("isolation", 2).add("secrecy", 3).list, kT0 + 10, &ex);
  CHECK(ex.subject == 1);
  CHECK(ex.multiplier == Approx(s.config().m_other_minor * s.config().m_sender_unknown));
  // ... and never its writer's own.
  CHECK(s.participant_score(st, 0) == 0);
}

TEST_CASE("a sender's own claim of youth never shields or damps what he does") {
  const Scorer s = shipped_scorer();
  auto run = [&](int claimed_age, Explanation* ex = nullptr) {
    ConversationState st;
    int64_t t = kT0;
    s.score(st, who(kChild), Hits(s).add("age_signal", 1, 1, 13).list, t += 1000);
    if (claimed_age >= 0) s.score(st, who(kAdult), Hits(s).add("age_signal", 2, 1, claimed_age).list, t += 1000);
    ScoreOutcome out;
    uint32_t r = 10;
    for (const char* stage : {"access", "trust", "isolation", "secrecy", "platform_move"}) {
      if (ex) *ex = Explanation{};
      out = s.score(st, who(kAdult), Hits(s).add(stage, r++).list, t += 1000, ex);
    }
    CHECK(s.eligible(st, 1));
    return out;
  };
  const ScoreOutcome unknown = run(-1);
  Explanation ex;
  const ScoreOutcome posing = run(14, &ex);
  CHECK(posing.level >= Level::kReview);
  CHECK(posing.suspect == 1);
  CHECK(posing.risk == Approx(unknown.risk));
  for (const auto& m : ex.multipliers) CHECK(m.name != "sender_minor");
  CHECK(ex.excluded.empty());
  SECTION("both sides claim to be minors: the one making the moves is the suspect") {
    // The child's claim (13) and his (14) are both context for the other side; the
    // child's few ordinary hits do not outweigh his moves.
    ConversationState st;
    int64_t t = kT0;
    s.score(st, who(kChild), Hits(s).add("age_signal", 1, 1, 13).add("access", 5).list, t += 1000);
    s.score(st, who(kAdult), Hits(s).add("age_signal", 2, 1, 14).list, t += 1000);
    ScoreOutcome out;
    uint32_t r = 20;
    for (const char* stage : {"trust", "isolation", "secrecy", "platform_move"})
      out = s.score(st, who(kAdult), Hits(s).add(stage, r++).list, t += 1000);
    CHECK(out.suspect == 1);
    CHECK(out.level >= Level::kReview);
  }
}

TEST_CASE("an urgent rule's hit is urgent at once and stays urgent") {
  const Scorer s = shipped_scorer();
  ConversationState st;
  s.score(st, who(kChild), Hits(s).add("age_signal", 1, 1, 15).list, kT0);
  ScoreOutcome out = s.score(st, who(kAdult), Hits(s).add("coercion", 2, 4.0, -1, false, true).list, kT0 + 1000);
  CHECK(out.level == Level::kUrgent);
  CHECK(out.suspect == 1);
  CHECK(out.risk >= s.config().levels[3].min_risk);
  out = s.score(st, who(kChild), {}, kT0 + 1000 + 30 * 24 * kHour);
  CHECK(out.level == Level::kUrgent);
  CHECK(out.suspect == 1);
  SECTION("from a platform minor talking to an unknown sender it is not") {
    ConversationState st2;
    s.score(st2, who(kAdult), {}, kT0);
    out = s.score(st2, who(kChild, AgeBand::kMinor), Hits(s).add("coercion", 2, 4.0, -1, false, true).list, kT0);
    CHECK(out.level < Level::kUrgent);
  }
  SECTION("a shadow urgent rule is not") {
    ConversationState st2;
    out = s.score(st2, who(kAdult), Hits(s).add("coercion", 2, 4.0, -1, true, true).list, kT0);
    CHECK(out.level == Level::kNone);
  }
}

TEST_CASE("one ambiguous coercion hit is neither urgent nor review, however heavy and repeated") {
  const Scorer s = shipped_scorer();
  ConversationState st;
  // Worst context: a platform minor in the chat, an adult on a new account.
  s.score(st, who(kChild, AgeBand::kMinor), {}, kT0);
  ScoreOutcome out;
  for (int i = 0; i < 5; ++i)
    out = s.score(st, who(kAdult, AgeBand::kAdult, 2), Hits(s).add("coercion", 7, 4.0).list, kT0 + i * 1000);
  CHECK(out.level < Level::kReview);
  CHECK_FALSE(st.flags & ConversationState::kUrgentSticky);
}

TEST_CASE("coercion on top of other stages of the same sender is urgent") {
  const Scorer s = shipped_scorer();
  const int need = s.config().stages[stage_of(s, "coercion")].urgent_with_stages;
  REQUIRE(need == 3);
  SECTION("the same sender: access, secrecy, then a threat") {
    ConversationState st;
    s.score(st, who(kAdult), Hits(s).add("access", 1).list, kT0);
    ScoreOutcome out = s.score(st, who(kAdult), Hits(s).add("coercion", 3, 3.0).list, kT0 + 1000);
    CHECK(out.level < Level::kUrgent);  // two stages: not yet
    s.score(st, who(kAdult), Hits(s).add("secrecy", 2).list, kT0 + 2000);
    out = s.score(st, who(kAdult), Hits(s).add("coercion", 4, 3.0).list, kT0 + 3000);
    CHECK(out.level == Level::kUrgent);
    CHECK(out.suspect == 0);
  }
  SECTION("other stages reached by someone else do not count") {
    ConversationState st;
    s.score(st, who(kThird), Hits(s).add("access", 1).add("secrecy", 2).list, kT0);
    ScoreOutcome out = s.score(st, who(kAdult), Hits(s).add("coercion", 3, 3.0).list, kT0 + 1000);
    CHECK(out.level < Level::kUrgent);
  }
}

TEST_CASE("shadow hits are reported but never scored") {
  const Scorer s = shipped_scorer();
  ConversationState st;
  Explanation ex;
  ScoreOutcome out =
      s.score(st, who(kAdult), Hits(s).add("coercion", 1, 1, -1, true).add("secrecy", 2, 1, -1, true).list, kT0, &ex);
  CHECK(out.level == Level::kNone);
  CHECK(out.risk == 0);
  REQUIRE(ex.hits.size() == 2);
  CHECK(ex.hits[0].shadow);
  CHECK_FALSE(ex.hits[0].scored);
}

TEST_CASE("stages in the usual order earn more than the same stages out of order, which still count") {
  const Scorer s = shipped_scorer();
  auto run = [&](std::vector<const char*> stages) {
    ConversationState st;
    Explanation ex;
    uint32_t r = 0;
    for (const char* stage : stages) s.score(st, who(kAdult), Hits(s).add(stage, r++).list, kT0);
    s.evaluate(st, &ex);
    return ex;
  };
  const Explanation ordered = run({"access", "trust", "isolation", "secrecy"});
  const Explanation reversed = run({"secrecy", "isolation", "trust", "access"});
  CHECK(ordered.in_order == 4);
  CHECK(reversed.in_order == 1);
  CHECK(ordered.distinct_stages == 4);
  CHECK(reversed.distinct_stages == 4);
  CHECK(ordered.score > reversed.score);
  CHECK(reversed.bonus > 0);
}

TEST_CASE("every sender of a group is scored up to max_participants") {
  const Scorer s = shipped_scorer();
  REQUIRE(s.config().max_participants >= 50);
  ConversationState st;
  int64_t t = kT0;
  // Five adults chat; the sixth sender grooms, and is scored and named.
  for (uint64_t id = 1; id <= 5; ++id) s.score(st, who(id), {}, t += 1000);
  ScoreOutcome out;
  uint32_t r = 0;
  for (const char* stage : {"access", "trust", "isolation", "secrecy", "platform_move"})
    out = s.score(st, who(600), Hits(s).add(stage, r++).list, t += 1000);
  CHECK(out.sender == 5);
  CHECK(out.suspect == 5);
  CHECK(out.level >= Level::kReview);
  SECTION("the 50th sender too") {
    for (uint64_t id = 7; id <= 49; ++id) s.score(st, who(id), {}, t += 1000);
    ConversationState late;
    late = st;  // a deep copy: the group's heap part included
    for (const char* stage : {"access", "trust", "isolation", "secrecy", "platform_move"})
      out = s.score(late, who(5000), Hits(s).add(stage, r++).list, t += 1000);
    CHECK(late.participants() == 50);
    CHECK(out.sender == 49);
    CHECK_FALSE(out.evicted);
    CHECK(st.participants() == 49);
  }
}

TEST_CASE("a busy room of adults flirting stays below review, while a grooming move among them still counts") {
  const Scorer s = shipped_scorer();
  // Forty adults, most stating an adult age, flirt with the room over an evening in the
  // moves adults make with each other: compliments and pet names, another app, a date
  // or a video call. Each makes two of them, some twice.
  auto flirting_room = [&](ConversationState& st, int64_t& t) {
    const char* moves[] = {"trust", "platform_move", "meeting", "desensitization"};
    uint32_t r = 100;
    for (uint64_t id = 1; id <= 40; ++id)
      s.score(st, who(id), Hits(s).add("age_signal", r++, 1, id % 4 == 0 ? -1 : 20 + id % 20).list, t += 1000);
    ScoreOutcome out;
    for (int round = 0; round < 2; ++round)
      for (uint64_t id = 1; id <= 40; ++id)
        for (int k = 0; k < 2; ++k)
          out = s.score(st, who(id), Hits(s).add(moves[(id + k) % 4], r++, 1.0).list, t += 1000);
    return out;
  };
  ConversationState room;
  int64_t t = kT0;
  const ScoreOutcome flirting = flirting_room(room, t);
  CHECK(flirting.level < Level::kReview);
  CHECK(room.participants() == 40);

  SECTION("the same room with a child in it: the adult who grooms the child is flagged") {
    s.score(room, who(500), Hits(s).add("age_signal", 1, 1, 13).list, t += 1000);
    ScoreOutcome out;
    uint32_t r = 5000;
    for (const char* stage : {"trust", "isolation", "secrecy", "platform_move"}) {
      out = s.score(room, who(600), Hits(s).add(stage, r++).list, t += 1000);
      s.score(room, who(7), Hits(s).add("trust", r++).list, t += 1000);  // the room goes on
    }
    CHECK(out.level >= Level::kReview);
    CHECK(room.p[out.suspect].id_hash == 600);
  }
  SECTION("the same moves in a private chat with the child reach the same level") {
    ConversationState pm;
    int64_t u = kT0;
    s.score(pm, who(500), Hits(s).add("age_signal", 1, 1, 13).list, u += 1000);
    ScoreOutcome out;
    uint32_t r = 5000;
    for (const char* stage : {"trust", "isolation", "secrecy", "platform_move"})
      out = s.score(pm, who(600), Hits(s).add(stage, r++).list, u += 1000);
    CHECK(out.level >= Level::kReview);
  }
}

TEST_CASE("one message is one move per stage: overlapping rules of a stage count once") {
  const Scorer s = shipped_scorer();
  const int platform = stage_of(s, "platform_move");
  ConversationState one, two;
  // "call me 555 ..." matches a call request (0.5) and a number (0.6): one move.
  s.score(one, who(kAdult), Hits(s).add("platform_move", 1, 0.5).add("platform_move", 2, 0.6).list, kT0);
  CHECK(one.p[0].evidence[platform] == Approx(0.6));
  // In two messages they are two moves.
  s.score(two, who(kAdult), Hits(s).add("platform_move", 1, 0.5).list, kT0);
  s.score(two, who(kAdult), Hits(s).add("platform_move", 2, 0.6).list, kT0 + 1000);
  CHECK(two.p[0].evidence[platform] == Approx(1.1));
  SECTION("other stages of the same message count in full, and the explanation says which hit was not scored") {
    ConversationState st;
    Explanation ex;
    s.score(st, who(kAdult),
            Hits(s).add("platform_move", 1, 0.5).add("secrecy", 3, 1.5).add("platform_move", 2, 0.6).list, kT0, &ex);
    CHECK(st.p[0].evidence[platform] == Approx(0.6));
    CHECK(st.p[0].evidence[stage_of(s, "secrecy")] == Approx(1.5));
    REQUIRE(ex.hits.size() == 3);
    CHECK_FALSE(ex.hits[0].scored);
    CHECK(ex.hits[1].scored);
    CHECK(ex.hits[2].scored);
  }
  SECTION("an urgent rule outweighed in its stage is still urgent") {
    ConversationState st;
    const auto out =
        s.score(st, who(kAdult), Hits(s).add("coercion", 1, 3.0).add("coercion", 2, 2.0, -1, false, true).list, kT0);
    CHECK(out.level == Level::kUrgent);
  }
}

TEST_CASE("past max_participants the least risky sender makes room, never the riskiest") {
  const Scorer s = shipped_scorer();
  const int cap = s.config().max_participants;
  ConversationState st;
  int64_t t = kT0;
  // Slot 0: the child (a disclosed minor: context), slot 1: the groomer.
  s.score(st, who(kChild), Hits(s).add("age_signal", 1, 1, 13).list, t += 1000);
  uint32_t r = 10;
  for (const char* stage : {"access", "trust", "isolation"})
    s.score(st, who(kAdult), Hits(s).add(stage, r++).list, t += 1000);
  // Fill the rest with quiet senders, one of them slightly risky.
  for (int id = 2; id < cap; ++id) s.score(st, who(1000 + id), {}, t += 1000);
  s.score(st, who(1000 + 7), Hits(s).add("trust", 99).list, t += 1000);
  REQUIRE(st.participants() == cap);
  // A flood of new senders: each takes the place of a quiet one.
  ScoreOutcome out;
  for (int id = 0; id < 3 * cap; ++id) {
    out = s.score(st, who(90'000 + id), {}, t += 1000);
    CHECK(out.evicted);
    CHECK(out.new_participant);
    CHECK(out.sender != 0);
    CHECK(out.sender != 1);
    CHECK(out.sender != 7);
  }
  CHECK(st.participants() == cap);
  CHECK(st.p[1].id_hash == kAdult);
  CHECK(st.p[0].id_hash == kChild);
  // The groomer's evidence is intact and still counts with the child's context.
  out = s.score(st, who(kAdult), Hits(s).add("secrecy", r).add("platform_move", r + 1).list, t += 1000);
  CHECK(out.suspect == 1);
  CHECK(out.level >= Level::kReview);
  SECTION("the sender who made it urgent is never evicted") {
    ConversationState u;
    s.score(u, who(kAdult), Hits(s).add("coercion", 1, 4.0, -1, false, true).list, kT0);
    for (int id = 0; id < 2 * cap; ++id) s.score(u, who(7000 + id), Hits(s).add("trust", 5).list, kT0 + id);
    CHECK(u.p[0].id_hash == kAdult);
    CHECK(s.evaluate(u).suspect == 0);
  }
}

TEST_CASE("max_participants is read from stages.yaml and checked") {
  const auto names = stage_names(shipped_yaml());
  std::string y = shipped_yaml();
  const size_t at = y.find("max_participants: ");
  REQUIRE(at != std::string::npos);
  y.replace(at, y.find('\n', at) - at, "max_participants: 3");
  auto cfg = ScorerConfig::parse(y, names);
  REQUIRE(cfg.ok());
  CHECK(cfg->max_participants == 3);
  const Scorer s(cfg.value());
  ConversationState st;
  for (uint64_t id = 1; id <= 4; ++id) s.score(st, who(id), {}, kT0);
  CHECK(st.participants() == 3);
  y.replace(y.find("max_participants: 3"), 19, "max_participants: 1");
  CHECK_FALSE(ScorerConfig::parse(y, names).ok());
}

TEST_CASE("the state encodes and decodes exactly, groups included; bad bytes are refused") {
  const Scorer s = shipped_scorer();
  ConversationState st;
  for (uint64_t id = 1; id <= 7; ++id)
    s.score(st, who(id), Hits(s).add("trust", 2).list, kT0 + static_cast<int64_t>(id));
  st.remember(42, RecentVerdict{1234, 2, 6});
  std::string bytes;
  st.encode(bytes);
  ConversationState back;
  REQUIRE(back.decode(bytes));
  std::string again;
  back.encode(again);
  CHECK(again == bytes);
  CHECK(back.participants() == 7);
  CHECK(back.p[6].id_hash == 7);
  RecentVerdict v;
  REQUIRE(back.find_recent(42, v));
  CHECK(v.suspect == 6);
  CHECK_FALSE(back.decode(bytes.substr(0, bytes.size() - 1)));
  std::string bad = bytes;
  bad[0] = 1;  // another format
  CHECK_FALSE(back.decode(bad));
  CHECK(back.participants() == 7);  // untouched
}

TEST_CASE("stage evidence follows its stage name through a reorder") {
  const Scorer s = shipped_scorer();
  ConversationState st;
  s.score(st, who(kAdult), Hits(s).add("secrecy", 1, 1.5).list, kT0);
  const std::vector<std::string> from = {"access",        "trust",           "isolation", "secrecy",
                                         "platform_move", "desensitization", "meeting",   "coercion"};
  const std::vector<std::string> to = {"secrecy", "isolation",     "access",  "trust",
                                       "meeting", "platform_move", "coercion"};  // reordered, one dropped
  st.remap_stages(from, to);
  CHECK(st.p[0].evidence[0] == Approx(1.5));
  CHECK(st.p[0].first_reach[0] == 1);
  CHECK(st.p[0].evidence[3] == 0);
}

TEST_CASE("slow evidence survives days of small talk") {
  const Scorer s = shipped_scorer();
  ConversationState st;
  int64_t t = kT0;
  s.score(st, who(kChild), Hits(s).add("age_signal", 1, 1, 13).list, t);
  ScoreOutcome out;
  for (const char* stage : {"trust", "isolation", "secrecy", "platform_move", "meeting"}) {
    out = s.score(st, who(kAdult), Hits(s).add(stage, 2 + stage[0]).list, t += 20 * kHour);
    for (int i = 0; i < 20; ++i) s.score(st, who(kChild), {}, t += kHour / 2);
  }
  CHECK(out.level >= Level::kReview);
}

}  // namespace vigil

namespace vigil {

TEST_CASE("the duplicate window remembers the last kRecentIds verdict summaries") {
  ConversationState st;
  const IdHasher ids = IdHasher::random();
  auto h = [&](uint64_t m) { return ids(std::to_string(m)); };
  for (uint64_t m = 1; m <= kRecentIds + 2; ++m)
    st.remember(h(m), RecentVerdict{static_cast<uint16_t>(m * 1000), static_cast<uint8_t>(m % 4),
                                    static_cast<int16_t>(m * 7 % 60 - 1)});
  RecentVerdict v;
  for (uint64_t m = 1; m <= 2; ++m) CHECK_FALSE(st.find_recent(h(m), v));
  for (uint64_t m = 3; m <= kRecentIds + 2; ++m) {
    REQUIRE(st.find_recent(h(m), v));
    CHECK(v.risk_centi == std::min<uint64_t>(m * 1000, 10000));
    CHECK(v.level == m % 4);
    CHECK(v.suspect == static_cast<int>(m * 7 % 60) - 1);
  }
}

TEST_CASE("message ids that collided under the old 45-bit tag are told apart") {
  // Found offline by a birthday search over "msg-N": the old window kept only the top 45
  // bits of the unkeyed hash_id(), and these two share them, so the second message was
  // answered as a duplicate of the first (no hits, not scored).
  const std::string a = "msg-1394939", b = "msg-6682838";
  REQUIRE(hash_id(a.data(), a.size()) >> 19 == hash_id(b.data(), b.size()) >> 19);
  for (int round = 0; round < 3; ++round) {
    const IdHasher ids = IdHasher::random();
    ConversationState st;
    st.remember(ids(a), RecentVerdict{100, 0, -1});
    RecentVerdict v;
    CHECK(st.find_recent(ids(a), v));
    CHECK_FALSE(st.find_recent(ids(b), v));
  }
  // SipHash-2-4's reference vector (key 00..0f, message 00..0e), and keyed: another key
  // gives other values.
  std::string msg;
  for (char c = 0; c < 15; ++c) msg.push_back(c);
  CHECK(IdHasher(0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull)(msg) == 0xa129ca6149be45e5ull);
  CHECK(IdHasher(1, 2)(a) != IdHasher(3, 4)(a));
  CHECK(IdHasher(1, 2)(a) == IdHasher(1, 2)(a));
}

}  // namespace vigil
