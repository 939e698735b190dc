// A real Hyperscan fault for tests: while a RefuseScratch lives, every scratch
// allocation fails as it does out of memory (through Hyperscan's own allocator hook,
// hs_set_scratch_allocator), so hs_clone_scratch and hs_alloc_scratch return HS_NOMEM.
// Process-wide: one at a time, on the test's thread.
#pragma once

#include <hs/hs.h>
#include <catch2/catch.hpp>

#include <cstdlib>

namespace vigil::test {

class RefuseScratch {
 public:
  RefuseScratch() {
    refusing() = true;
    REQUIRE(hs_set_scratch_allocator(alloc, std::free) == HS_SUCCESS);
  }
  ~RefuseScratch() {
    refusing() = false;
    hs_set_scratch_allocator(nullptr, nullptr);  // back to malloc/free
  }
  RefuseScratch(const RefuseScratch&) = delete;
  RefuseScratch& operator=(const RefuseScratch&) = delete;

 private:
  static bool& refusing() {
    static bool on = false;
    return on;
  }
  static void* alloc(size_t size) { return refusing() ? nullptr : std::malloc(size); }
};

}  // namespace vigil::test
