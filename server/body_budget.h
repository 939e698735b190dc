// BodyBudget: the bytes of request bodies in flight across all connections, bounded by
// limits.max_body_bytes_in_flight. A session reserves a body's declared length
// (Content-Length; a chunked body reserves max_body_bytes) once its header is read and
// authorised, and releases it when the request has been answered. A reservation past
// the bound is refused (503 server.busy) before any of the body is read, so many
// clients sending large bodies at once cannot make the server hold more than the bound.
// Thread-safe and lock-free (a compare-exchange per request with a body). Not copyable.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>

namespace vigil::server {

class BodyBudget {
 public:
  explicit BodyBudget(size_t limit) : limit_(limit) {}
  BodyBudget(const BodyBudget&) = delete;
  BodyBudget& operator=(const BodyBudget&) = delete;

  // Reserves n bytes; false (nothing reserved) when that would pass the bound.
  bool try_reserve(size_t n) {
    size_t cur = used_.load(std::memory_order_relaxed);
    do {
      if (n > limit_ - std::min(cur, limit_)) return false;
    } while (!used_.compare_exchange_weak(cur, cur + n, std::memory_order_relaxed));
    size_t peak = peak_.load(std::memory_order_relaxed);
    while (cur + n > peak && !peak_.compare_exchange_weak(peak, cur + n, std::memory_order_relaxed)) {
    }
    return true;
  }
  void release(size_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }

  size_t in_flight() const { return used_.load(std::memory_order_relaxed); }
  // The most ever reserved at once.
  size_t peak() const { return peak_.load(std::memory_order_relaxed); }
  size_t limit() const { return limit_; }

 private:
  const size_t limit_;
  std::atomic<size_t> used_{0};
  std::atomic<size_t> peak_{0};
};

}  // namespace vigil::server
