// ServerContext: the state every session and handler of one Server shares: the config,
// the engine, auth, metrics, the drain flag and the registry of open sessions.
// Owned by Server, which outlives every session (it joins the io threads before it is
// destroyed). Members are thread-safe as their own headers say; the rest is immutable
// after Server::create. Not copyable, not movable.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "plugin/engine/engine.h"
#include "plugin/engine/message_json.h"
#include "plugin/normalize/normalizer.h"
#include "server/auth.h"
#include "server/body_budget.h"
#include "server/cases/case_manager.h"
#include "server/cases/webhooks.h"
#include "server/config.h"
#include "server/metrics.h"

namespace vigil::server {

class CaseEventHub;  // case_events.h

// A session that can be asked to drain: finish what it holds, then close.
class Drainable {
 public:
  virtual ~Drainable() = default;
  // Called from any thread; the session posts the work to its own executor.
  virtual void drain() = 0;
};

// Open sessions, for drain. Touched on connect and disconnect only, never per request.
class SessionRegistry {
 public:
  uint64_t add(std::weak_ptr<Drainable> session);
  void remove(uint64_t id);
  size_t size() const;
  // Calls drain() on every live session.
  void drain_all();

 private:
  mutable std::mutex mu_;
  uint64_t next_ = 1;
  std::unordered_map<uint64_t, std::weak_ptr<Drainable>> sessions_;
};

struct ServerContext {
  ServerContext(ServerConfig c, std::unique_ptr<Engine> e, std::unique_ptr<Normalizer> n)
      : config(std::move(c)),
        auth(config.tokens),
        bodies(config.limits.max_body_bytes_in_flight),
        engine(std::move(e)),
        normalizer(std::move(n)) {}
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  const ServerConfig config;
  const Authenticator auth;
  BodyBudget bodies;  // request body bytes in flight, across all connections
  Metrics metrics;
  const std::unique_ptr<Engine> engine;
  const std::unique_ptr<Normalizer> normalizer;  // for POST /v1/explain
  std::unique_ptr<cases::CaseManager> cases;     // set by start_cases (routes/case_routes.h)
  // The same. Destroyed (its thread stopped) before `cases`, whose store it reads, and
  // after `blocking`, whose jobs (case decisions) notify it: Server joins the pool first,
  // and the pool is declared after this, so no job can reach a freed dispatcher.
  std::unique_ptr<cases::WebhookDispatcher> webhooks;
  // Work that blocks (rule reloads) runs here, never on an io thread.
  boost::asio::thread_pool blocking{1};
  std::mutex reload_mu;  // one reload at a time
  std::atomic<bool> draining{false};
  SessionRegistry sessions;
  // GET /v1/cases/events; set by Server::create. Its timer runs on `blocking`, so it is
  // declared after it: destroyed first, once the pool is joined.
  std::shared_ptr<CaseEventHub> case_events;
};

}  // namespace vigil::server
