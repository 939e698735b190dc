// Steady state of the scorer: a message from a participant already in the conversation
// allocates nothing, in a two-party chat and in a 50-sender group (whose participants
// past kInlineParticipants live in one heap array). Only a new participant joining past
// the inline slots may allocate (the array grows by doubling).
#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <new>
#include <sstream>

#include "plugin/scoring/scorer.h"
#include "tests/plugin/alloc_counter.h"

using vigil::test::g_allocations;

namespace vigil {
namespace {

Scorer shipped_scorer() {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/rules/stages.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<std::string> names;
  for (const auto& s : YAML::Load(ss.str())["stages"]) names.push_back(s["name"].as<std::string>());
  auto cfg = ScorerConfig::parse(ss.str(), names);
  REQUIRE(cfg.ok());
  return Scorer(std::move(cfg.value()));
}

}  // namespace

TEST_CASE("scoring a known participant's message allocates nothing, in pairs and in groups") {
  const Scorer s = shipped_scorer();
  for (const uint64_t senders : {uint64_t{2}, uint64_t{50}}) {
    INFO(senders << " senders");
    ConversationState st;
    std::vector<ScoreHit> hits(2);
    hits[0].stage = 1;
    hits[0].rule_key = 7;
    hits[1].stage = 3;
    hits[1].rule_key = 9;
    int64_t t = 1'700'000'000'000;
    for (uint64_t id = 1; id <= senders; ++id) s.score(st, SenderInfo{id}, hits, t += 1000);  // everyone joins
    const long before = g_allocations.load();
    for (int round = 0; round < 20; ++round)
      for (uint64_t id = 1; id <= senders; ++id) s.score(st, SenderInfo{id}, hits, t += 1000);
    CHECK(g_allocations.load() - before == 0);
    CHECK(st.participants() == static_cast<int>(senders));
  }
}

}  // namespace vigil
