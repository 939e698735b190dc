// Server: `vigil serve` as an object. create() loads the rules (through Engine::create),
// binds the listen address and returns the server or every error; start() runs one
// io_context per thread (config.threads, default one per core); drain() shuts down
// gracefully. Tests run it in-process on 127.0.0.1:0.
//
// Lifecycle: create -> start -> (serve) -> drain -> destroyed. drain():
//   1. /readyz answers 503 and new WebSocket upgrades are refused
//   2. the listening socket closes: no new connections
//   3. every session finishes what it has read (HTTP replies go out with
//      Connection: close; WebSockets send their queued replies, then close 1001)
//   4. Engine::flush() writes the scorer state
//   5. the io threads stop
// within limits.drain_timeout (sessions still open then are cut). Thread-safe and
// idempotent; wait() blocks until a drain (from any thread, e.g. a signal) completes.
// Not copyable, not movable.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "plugin/common/error.h"
#include "server/config.h"
#include "server/server_context.h"

namespace vigil::server {

class Listener;

struct ServerOptions {
  // The engine's clock (epoch ms), for tests; empty: the system clock.
  std::function<int64_t()> now_ms;
  // `vigil serve --check-config`: create() does everything serve does (validates the
  // config, loads the rules, opens or creates the data folder's stores) but binds no
  // port; the server it returns can only be destroyed.
  bool check_only = false;
  // Where compiled rules are cached when the config has no data_dir (whose hs-cache
  // folder is used otherwise); empty: none.
  std::filesystem::path rules_cache_dir;
};

class Server {
 public:
  static Result<std::unique_ptr<Server>, Errors> create(ServerConfig config, ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts the io threads and accepting. Call once.
  void start();
  // The bound port (the real one when the config asked for 0).
  uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT"
  std::string url() const;

  // Graceful shutdown (see above). Returns true when every session closed before the
  // deadline. Later calls wait for the first to finish and return its result.
  bool drain();
  // Blocks until a drain has completed.
  void wait();

  // The same reload as POST /v1/rules/reload (SIGHUP uses it). Blocks while compiling.
  Status<Errors> reload_rules();

  ServerContext& context() { return *ctx_; }
  const Metrics& metrics() const { return ctx_->metrics; }

 private:
  Server() = default;
  void stop_threads();

  std::unique_ptr<ServerContext> ctx_;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  std::shared_ptr<Listener> listener_;
  std::atomic<size_t> next_context_{0};
  uint16_t port_ = 0;

  std::mutex drain_mu_;
  std::condition_variable drained_cv_;
  bool drain_started_ = false;
  bool drained_ = false;
  bool drain_result_ = false;
};

}  // namespace vigil::server
