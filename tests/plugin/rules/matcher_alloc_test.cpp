// Steady state of the hot path: with a reused NormalizedText, scratch, Matcher and
// HitList, normalise+match allocates nothing for messages that hit no rule or hit
// behaviour rules. (An age_signal hit runs RE2 with submatches, whose BitState/NFA
// engines allocate a little inside RE2; those messages are left out here.)
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

#include "rules_test_util.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// Counts every allocation of the process; only the window around the loop is read.
// Every form of new and delete is replaced, so none is paired with a sanitizer's.
void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  ++g_allocations;
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

TEST_CASE("normalise+match allocates nothing per message in steady state") {
  const auto rules = vigil::test::valid_rules();
  const vigil::Normalizer& normalizer = vigil::test::normalizer();
  vigil::Matcher matcher(rules);
  auto scratch = vigil::make_normalize_scratch();
  vigil::NormalizedText text;
  vigil::HitList hits;
  const char* messages[] = {"hey dont tell your parents ok", "how old are you", "nothing here at all",
                            "ARE YOUR PARENTS HOME?", "加个vx吧", "你一个人在家吗", "add me on snapchat, our little secret"};
  size_t total_hits = 0;
  auto run = [&] {
    for (int round = 0; round < 200; ++round) {
      for (const char* m : messages) {
        normalizer.normalize(m, text, *scratch);
        matcher.match(text, hits);
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
}
