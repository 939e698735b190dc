// Metrics: the sidecar's counters, gauges and latency histograms, rendered as
// Prometheus text (GET /metrics). Every name starts with vigil_; no label ever holds a
// conversation, message or user id.
//
// Thread-safe and lock-free on the request path: every update is a relaxed atomic add.
// Labelled families (errors by code, hits by stage) intern a new label under a mutex the
// first time it is seen, then find it without locking. Not copyable, not movable.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugin/engine/engine_stats.h"
#include "plugin/engine/message.h"

namespace vigil::server {

// The routes, as the `route` label of the latency histogram.
enum class Route : uint8_t {
  kMessages,       // POST /v1/messages
  kStream,         // GET /v1/stream, one observation per frame
  kConversations,  // GET /v1/conversations/{id}
  kExplain,        // POST /v1/explain
  kRules,          // GET /v1/rules
  kReload,         // POST /v1/rules/reload
  kCases,          // /v1/cases...
  kAudit,          // GET /v1/audit
  kHealth,         // /livez /healthz /readyz
  kMetrics,        // /metrics
  kConsole,        // GET /console/{file}
  kOther,          // unknown routes, refused requests
  kCount,
};
const char* route_label(Route route);

// A counter family keyed by a small, bounded set of label values (at most N distinct;
// later values fold into "other").
template <size_t N>
class LabeledCounter {
 public:
  void add(std::string_view label, uint64_t n = 1);
  template <class F>
  void for_each(F&& f) const {
    const size_t size = size_.load(std::memory_order_acquire);
    for (size_t i = 0; i < size; ++i) f(names_[i], values_[i].load(std::memory_order_relaxed));
  }

 private:
  std::array<std::atomic<uint64_t>, N> values_{};
  std::array<std::string, N> names_;
  std::atomic<size_t> size_{0};
  std::mutex mu_;
};

// Bucket upper bounds, in seconds: request latency (50 µs to 2.5 s) and rule reloads (a
// compile of large packs on a loaded machine takes tens of seconds: up to 30 s).
inline constexpr std::array<double, 15> kLatencyBounds = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                          0.025,   0.05,   0.1,     0.25,   0.5,   1.0,    2.5};
inline constexpr std::array<double, 11> kReloadBounds = {0.1, 0.25, 0.5, 1, 2.5, 5, 7.5, 10, 15, 20, 30};

// A histogram with fixed buckets (Bounds: ascending upper bounds in seconds; +Inf added).
template <const auto& Bounds>
class Histogram {
 public:
  void observe(std::chrono::nanoseconds d);
  void render(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::array<std::atomic<uint64_t>, Bounds.size() + 1> buckets_{};  // last: +Inf
  std::atomic<uint64_t> sum_ns_{0};
  std::atomic<uint64_t> count_{0};
};
using LatencyHistogram = Histogram<kLatencyBounds>;

enum class ConnectionKind : uint8_t { kHttp, kWebSocket };

// What the scrape reads from elsewhere at render time.
struct ScrapeInfo {
  EngineStats engine;
  std::vector<std::pair<std::string, uint64_t>> rule_hits;  // Engine::rule_hits(): one per loaded rule
  std::string rules_version;                                // empty when no rules are loaded
  size_t rules = 0;
  bool ready = false;
  size_t body_bytes_in_flight = 0;
  size_t body_bytes_limit = 0;
};

class Metrics {
 public:
  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One verdict sent: counts the message, its level and its scored hits by stage.
  void verdict(const Verdict& v);
  void request(Route route, std::chrono::nanoseconds latency) { latency_[static_cast<size_t>(route)].observe(latency); }
  void error(std::string_view code) { errors_.add(code); }
  void connection_opened(ConnectionKind k) { open_[static_cast<size_t>(k)].fetch_add(1, std::memory_order_relaxed); }
  void connection_closed(ConnectionKind k) { open_[static_cast<size_t>(k)].fetch_sub(1, std::memory_order_relaxed); }
  void connection_accepted() { accepted_.fetch_add(1, std::memory_order_relaxed); }
  // One rule reload (HTTP or SIGHUP), and how long it took, load and compile included.
  void reload(bool ok, std::chrono::nanoseconds took) {
    (ok ? reloads_ : reload_failures_).fetch_add(1, std::memory_order_relaxed);
    reload_duration_.observe(took);
  }

  int64_t open_connections() const;
  uint64_t messages() const { return messages_.load(std::memory_order_relaxed); }
  uint64_t errors(std::string_view code) const;
  uint64_t reloads() const { return reloads_.load(std::memory_order_relaxed); }
  uint64_t reload_failures() const { return reload_failures_.load(std::memory_order_relaxed); }

  // The Prometheus text exposition (version 0.0.4): the counters above, the engine's,
  // vigil_build_info, and the process_* metrics of this process (from /proc).
  std::string render(const ScrapeInfo& info) const;

 private:
  std::atomic<uint64_t> messages_{0};
  std::atomic<uint64_t> duplicates_{0};
  std::array<std::atomic<uint64_t>, 4> levels_{};
  LabeledCounter<32> hits_;
  LabeledCounter<64> errors_;
  std::array<LatencyHistogram, static_cast<size_t>(Route::kCount)> latency_;
  std::array<std::atomic<int64_t>, 2> open_{};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> reloads_{0};
  std::atomic<uint64_t> reload_failures_{0};
  Histogram<kReloadBounds> reload_duration_;
};

}  // namespace vigil::server
