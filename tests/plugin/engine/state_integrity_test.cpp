// Inputs and reloads that must not mislead the scorer's memory of a conversation: ids
// that hold any byte (NUL included) stay whole, message ids are compared by a keyed hash
// no one can search collisions for, and evidence stays with its stage name when
// stages.yaml is reordered, across a reload and across a restart.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "plugin/engine/conversation_table.h"
#include "plugin/engine/engine.h"
#include "tests/plugin/engine/engine_test_support.h"

namespace vigil {
namespace {

using test::msg;

std::unique_ptr<Engine> open_engine(const std::filesystem::path& rules, const std::filesystem::path& data = {}) {
  EngineOptions opt;
  opt.rules_dir = rules;
  opt.rules_cache_dir = test::rules_cache_dir();
  opt.data_dir = data;
  auto e = Engine::create(std::move(opt));
  if (!e) FAIL(to_text(e.error()));
  return std::move(e).value();
}

double evidence(const ConversationInfo& info, const std::string& sender, const std::string& stage) {
  for (const auto& p : info.participants)
    if (p.sender_id == sender)
      for (const auto& [name, e] : p.stages)
        if (name == stage) return e;
  return 0;
}

// The shipped rules, copied so stages.yaml can be edited.
void copy_rules(const std::filesystem::path& to) {
  std::filesystem::copy(test::shipped_rules(), to, std::filesystem::copy_options::recursive);
}

// Swaps the `isolation` and `secrecy` entries of the `stages:` list.
void swap_isolation_and_secrecy(const std::filesystem::path& stages_yaml) {
  std::ifstream in(stages_yaml);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string y = ss.str();
  // The two entries are adjacent; whichever comes first moves behind the other.
  size_t a = std::min(y.find("  - name: isolation\n"), y.find("  - name: secrecy\n"));
  REQUIRE(a != std::string::npos);
  const size_t b = y.find("  - name:", a + 1);
  const size_t b_end = y.find("  - name:", b + 1);
  REQUIRE(b_end != std::string::npos);
  y.replace(a, b_end - a, y.substr(b, b_end - b) + y.substr(a, b - a));
  std::ofstream(stages_yaml) << y;
}

}  // namespace

TEST_CASE("participant ids are stored length-prefixed: a NUL cannot shift the list") {
  std::string names;
  const std::string tricky("u-a\0u-kid", 9);
  set_participant_name(names, 0, tricky);
  set_participant_name(names, 1, "u-kid");
  set_participant_name(names, 2, std::string(300, 'x'));  // a length past one LEB128 byte
  CHECK(participant_name(names, 0) == tricky);
  CHECK(participant_name(names, 1) == "u-kid");
  CHECK(participant_name(names, 2) == std::string(300, 'x'));
  CHECK(participant_name(names, 3).empty());
  set_participant_name(names, 1, "u-new");  // a participant replaced in place
  CHECK(participant_name(names, 0) == tricky);
  CHECK(participant_name(names, 1) == "u-new");
  CHECK(participant_name(names, 2) == std::string(300, 'x'));
  CHECK(participant_name(std::string_view("\x85", 1), 0).empty());  // truncated: nothing, no overrun

  SECTION("through the engine and a restart, the groomer stays the suspect") {
    // Before: ids were joined with NUL, so "u-a\0u-kid" read back as two names and the
    // groomer (participant 2) was reported as "u-kid", the child.
    test::TempDir data;
    const std::string groomer = "u-g";
    {
      auto e = open_engine(test::shipped_rules(), data.path());
      REQUIRE(e->process(msg("c", "1", tricky, "hi all")).ok());
      REQUIRE(e->process(msg("c", "2", "u-kid", "hey")).ok());
      Verdict v;
      int n = 3;
      for (const char* text : {"r ur parents home rn?", "dont tell anyone we talk ok", "add me on snap its easier",
                               "we should meet up sometime"})
        v = e->process(msg("c", std::to_string(n++), groomer, text)).value();
      CHECK(v.level >= Level::kWatch);
      CHECK(v.suspect_id == groomer);
      const auto info = e->conversation("c");
      REQUIRE(info->participants.size() == 3);
      CHECK(info->participants[0].sender_id == tricky);
      CHECK(info->participants[1].sender_id == "u-kid");
    }
    auto e = open_engine(test::shipped_rules(), data.path());
    const auto info = e->conversation("c");
    REQUIRE(info.has_value());
    CHECK(info->suspect_id == groomer);
    REQUIRE(info->participants.size() == 3);
    CHECK(info->participants[0].sender_id == tricky);
    CHECK(info->participants[2].sender_id == groomer);
    // The restored participants still match their senders.
    const Verdict v = e->process(msg("c", "9", groomer, "hi")).value();
    CHECK(v.suspect_id == groomer);
    CHECK(e->conversation("c")->participants.size() == 3);
  }
}

TEST_CASE("message ids are compared by a keyed hash: the old 45-bit collision is no duplicate") {
  // These two ids share the top 45 bits of the old unkeyed hash (found offline), so the
  // second, a grooming message, was answered as a duplicate with no hits.
  test::TempDir data;
  {
    auto e = open_engine(test::shipped_rules(), data.path());
    REQUIRE_FALSE(e->process(msg("c", "msg-1394939", "u-a", "hey")).value().duplicate);
    const Verdict v = e->process(msg("c", "msg-6682838", "u-a", "dont tell anyone we talk ok")).value();
    CHECK_FALSE(v.duplicate);
    CHECK_FALSE(v.hits.empty());
    CHECK(e->process(msg("c", "msg-6682838", "u-a", "dont tell anyone we talk ok")).value().duplicate);
  }
  // The key is kept with the store: a repeat after a restart is still known.
  auto e = open_engine(test::shipped_rules(), data.path());
  CHECK(e->process(msg("c", "msg-6682838", "u-a", "dont tell anyone we talk ok")).value().duplicate);
  CHECK_FALSE(e->process(msg("c", "msg-other", "u-a", "hey")).value().duplicate);
}

TEST_CASE("reordering stages.yaml keeps evidence with its stage, across a reload and a restart") {
  // One timestamp for every message: no decay between them, however slow the reload.
  constexpr int64_t kTs = 1'800'000'000'000;
  test::TempDir dir;
  const auto rules = dir.path() / "rules";
  const auto data = dir.path() / "data";
  copy_rules(rules);
  {
    auto e = open_engine(rules, data);
    REQUIRE(e->process(msg("c", "1", "u-a", "dont tell anyone we talk ok", kTs)).ok());
    REQUIRE(e->process(msg("d", "1", "u-a", "dont tell anyone we talk ok", kTs)).ok());
    const auto before = e->conversation("c");
    const double secrecy = evidence(*before, "u-a", "secrecy");
    REQUIRE(secrecy > 0);
    CHECK(evidence(*before, "u-a", "isolation") == 0);

    swap_isolation_and_secrecy(rules / "stages.yaml");
    REQUIRE(e->reload_rules().ok());
    const auto after = e->conversation("c");
    CHECK(evidence(*after, "u-a", "secrecy") == Approx(secrecy));
    CHECK(evidence(*after, "u-a", "isolation") == 0);
    // New evidence lands in the right stage too.
    const Verdict v = e->process(msg("c", "2", "u-a", "r ur parents home rn?", kTs)).value();
    CHECK(v.stages.size() == 2);
    const auto both = e->conversation("c");
    CHECK(evidence(*both, "u-a", "secrecy") == Approx(secrecy));
    CHECK(evidence(*both, "u-a", "isolation") > 0);
  }  // flushes "c" (remapped) and "d" (untouched since the reload: still the old layout)
  // A restart on the reordered file: both rows come back with evidence by stage name.
  {
    auto e = open_engine(rules, data);
    CHECK(evidence(*e->conversation("c"), "u-a", "secrecy") > 0);
    CHECK(evidence(*e->conversation("c"), "u-a", "isolation") > 0);
    CHECK(evidence(*e->conversation("d"), "u-a", "secrecy") > 0);
    CHECK(evidence(*e->conversation("d"), "u-a", "isolation") == 0);
  }
  // And back to the shipped order on the next restart.
  swap_isolation_and_secrecy(rules / "stages.yaml");
  auto e = open_engine(rules, data);
  CHECK(evidence(*e->conversation("d"), "u-a", "secrecy") > 0);
  CHECK(evidence(*e->conversation("d"), "u-a", "isolation") == 0);
}

}  // namespace vigil
