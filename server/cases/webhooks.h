// Webhooks: case events (case.opened, case.escalated, case.decided) delivered to the
// configured URLs from the store's durable outbox (case_store.h), so none is lost
// across restarts. One background thread delivers them in outbox order, one at a time.
//
// Each POST carries (server/README.md, "Webhooks"):
//   Content-Type: application/json
//   X-Vigil-Event: case.opened
//   X-Vigil-Id: evt_...            the idempotency key, the same on every retry
//   Idempotency-Key: evt_...       the same, under the conventional name
//   X-Vigil-Timestamp: 1764500000  unix seconds when this attempt was signed
//   X-Vigil-Signature: sha256=HEX  HMAC-SHA256(secret, timestamp + "." + body)
// A 2xx answer delivers the event; anything else (or no answer within `timeout`) is
// retried after initial_backoff * 2^(attempts-1), capped at max_backoff, and given up
// after max_attempts (state "failed", counted). Delivery is at least once: a receiver
// deduplicates by X-Vigil-Id, which makes it exactly once.
// The same thread runs the retention purge (CaseStore::purge of cases closed more than
// retention_days ago) at start and once an hour.
// Thread-safe; not copyable, not movable. The destructor stops the thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "server/cases/case_config.h"
#include "server/cases/case_store.h"

namespace vigil::cases {

// "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body).
std::string webhook_signature(std::string_view secret, std::string_view timestamp, std::string_view body);

class WebhookDispatcher {
 public:
  WebhookDispatcher(CaseStore& store, WebhookConfig config, int retention_days, std::function<int64_t()> now_ms);
  ~WebhookDispatcher();
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  // Starts the thread.
  void start();
  // Stops it after the attempt in flight (at most `timeout`).
  void stop();
  // New events were committed: deliver now rather than at the next poll.
  void notify();

  // Prometheus text: vigil_webhook_deliveries_total{result="delivered|retry|gave_up"},
  // vigil_webhook_store_errors_total, vigil_webhook_outbox{state=...} (from the store)
  // and vigil_cases_purged_total.
  void render_metrics(std::string& out) const;

 private:
  void run();
  void purge_if_due(int64_t now);
  // One attempt; false with `error` set on failure.
  bool post(const OutboxItem& item, std::string& error) const;

  CaseStore& store_;
  WebhookConfig config_;
  int retention_days_;
  int64_t last_purge_ms_ = 0;
  std::function<int64_t()> now_ms_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool poke_ = false;
  std::atomic<uint64_t> delivered_{0}, retries_{0}, gave_up_{0}, store_errors_{0}, purged_{0};
};

}  // namespace vigil::cases
