// Steady state of the hot path: with a reused NormalizedText, scratch, Matcher and
// HitList, normalise+match allocates nothing for messages that hit no rule or hit
// behaviour rules. (An age_signal hit runs RE2 with submatches, whose BitState/NFA
// engines allocate a little inside RE2; those messages are left out here.)
#include <catch2/catch.hpp>

#include "rules_test_util.h"
#include "tests/plugin/alloc_counter.h"

using vigil::test::g_allocations;

TEST_CASE("normalise+match allocates nothing per message in steady state") {
  const auto rules = vigil::test::valid_rules();
  const vigil::Normalizer& normalizer = vigil::test::normalizer();
  vigil::Matcher matcher(rules);
  auto scratch = vigil::make_normalize_scratch();
  vigil::NormalizedText text;
  vigil::HitList hits;
  const char* messages[] = {"hey dont tell your parents ok",
                            "how old are you",
                            "nothing here at all",
                            "ARE YOUR PARENTS HOME?",
                            "加个vx吧",
                            "你一个人在家吗",
                            "add me on snapchat, our little secret"};
  size_t total_hits = 0;
  size_t scan_failures = 0;
  auto run = [&] {
    for (int round = 0; round < 200; ++round) {
      for (const char* m : messages) {
        normalizer.normalize(m, text, *scratch);
        scan_failures += matcher.match(text, hits).ok() ? 0 : 1;
        total_hits += hits.size();
      }
    }
  };
  run();  // warm-up: buffers reach their size, RE2 builds its DFA states
  const long before = g_allocations.load();
  run();
  const long allocations = g_allocations.load() - before;
  CHECK(allocations == 0);
  CHECK(total_hits == 2 * 200 * 7);
  CHECK(scan_failures == 0);
}
