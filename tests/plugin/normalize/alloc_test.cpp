// Steady state allocates nothing: once the output and scratch have grown for a message,
// normalising it again calls malloc zero times, ICU's buffers included. malloc itself
// is counted (glibc's __libc_* entry points do the work), so its own test program.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstddef>
#include <string>

#include "plugin/normalize/normalizer.h"
#include "tests/plugin/normalize/normalize_test_util.h"

extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t n, size_t size);
void* __libc_realloc(void* p, size_t size);
void __libc_free(void* p);
}

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

extern "C" {
void* malloc(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(size);
}
void* calloc(size_t n, size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, size);
}
void free(void* p) { __libc_free(p); }
}

namespace vigil {
namespace {

TEST_CASE("normalize() allocates nothing in steady state", "[normalize][alloc]") {
  const Normalizer& n = testing::test_normalizer();
  auto scratch = make_normalize_scratch();
  NormalizedText out;
  const std::string messages[] = {
      "are your parents home?",
      "D0NT t3ll ur p4rents, s n a p me sooooo",
      "加個ＶＸ 我十三岁 一三八一二三四五六七八",
      "\u0440arents \u200B ｄ 0 ｎ ｔ Ⓐ①⑩ ❶ 𝐇𝐢 ß \xFF\xC0\xAF",
      std::string(3000, 'x') + " 我們見面吧 ＡＢＣ",
  };
  for (const std::string& m : messages) n.normalize(m, out, *scratch);  // grow once

  const long before = g_allocations.load();
  REQUIRE(before > 0);  // the counter works: warming up allocated
  for (int round = 0; round < 3; ++round) {
    for (const std::string& m : messages) n.normalize(m, out, *scratch);
  }
  CHECK(g_allocations.load() - before == 0);
}

}  // namespace
}  // namespace vigil
