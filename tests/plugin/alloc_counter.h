// Counts every allocation of a test program by replacing operator new (every form, so
// none is paired with another allocator's delete). Include from exactly ONE source file
// of a test program; read vigil::test::g_allocations around the code under test. Not for
// sanitizer builds (their allocator owns operator new).
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>

namespace vigil::test {
inline std::atomic<long> g_allocations{0};
}  // namespace vigil::test

void* operator new(std::size_t n) {
  ++vigil::test::g_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  ++vigil::test::g_allocations;
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
