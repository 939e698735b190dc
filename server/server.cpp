#include "server/server.h"

#include <boost/asio/ip/address.hpp>

#include "server/case_events.h"
#include "server/fd_limit.h"
#include "server/listener.h"
#include "server/log.h"
#include "server/routes/case_routes.h"
#include "server/routes/rules_routes.h"

namespace vigil::server {

namespace net = boost::asio;

namespace {

// Once per change of the store's (or the rules cache's) health; /readyz and /metrics
// show the current state.
void log_storage_event(const StorageEvent& e) {
  switch (e.kind) {
    case StorageEvent::kStoreFailing:
      log_event(spdlog::level::err, "store_failing", {{"code", e.error.code}, {"error", e.error.to_text()}});
      break;
    case StorageEvent::kStoreRecovered:
      log_event(spdlog::level::info, "store_recovered");
      break;
    case StorageEvent::kRulesCacheFailing:
      log_event(spdlog::level::warn, "rules_cache_write_failed",
                {{"code", e.error.code}, {"error", e.error.to_text()}});
      break;
    case StorageEvent::kRulesCacheRecovered:
      log_event(spdlog::level::info, "rules_cache_write_ok");
      break;
  }
}

}  // namespace

Result<std::unique_ptr<Server>, Errors> Server::create(ServerConfig config, ServerOptions options) {
  if (Status<Errors> s = validate(config); !s) return s.error();
  if (Status<> s = ensure_fd_limit(config.limits.max_connections); !s) return Errors{s.error()};

  EngineOptions eo;
  eo.rules_dir = config.rules_dir;
  eo.data_dir = config.data_dir;
  if (config.data_dir.empty()) eo.rules_cache_dir = options.rules_cache_dir;
  eo.max_text_bytes = config.limits.max_text_bytes;
  eo.flush_interval = config.state.flush_interval;
  eo.max_unflushed = config.state.max_unflushed;
  eo.context_max_bytes = config.state.context_max_bytes;
  eo.max_conversations = config.state.max_conversations;
  eo.idle_ttl = std::chrono::duration_cast<std::chrono::seconds>(config.state.idle_ttl);
  eo.context_messages = config.state.context_messages;
  eo.store_max_bytes = static_cast<int64_t>(config.state.max_bytes);
  eo.now_ms = options.now_ms;
  eo.on_storage_event = log_storage_event;
  Result<std::unique_ptr<Engine>, Errors> engine = Engine::create(std::move(eo));
  if (!engine) return std::move(engine).error();
  Result<std::unique_ptr<Normalizer>> normalizer = Normalizer::create();
  if (!normalizer) return Errors{std::move(normalizer).error()};

  std::unique_ptr<Server> server(new Server());
  const unsigned threads = config.effective_threads();
  const std::string host = config.host == "localhost" ? "127.0.0.1" : config.host;
  const uint16_t port = config.port;
  server->ctx_ =
      std::make_unique<ServerContext>(std::move(config), std::move(engine).value(), std::move(normalizer).value());
  if (Status<Errors> s = start_cases(*server->ctx_, std::move(options.now_ms)); !s) return s.error();
  server->ctx_->case_events = std::make_shared<CaseEventHub>(*server->ctx_);
  if (options.check_only) return server;
  for (unsigned i = 0; i < threads; ++i) {
    // Concurrency hint 1: each context is run by exactly one thread, so asio can skip
    // its internal locking.
    server->contexts_.push_back(std::make_unique<net::io_context>(1));
  }
  boost::system::error_code ec;
  const net::ip::address address = net::ip::make_address(host, ec);
  if (ec) return Errors{Error("config.bad_listen", "listen host '" + host + "' is not an IP address")};
  Server* raw = server.get();
  Result<std::shared_ptr<Listener>> listener = Listener::create(
      *server->contexts_[0],
      [raw]() -> net::io_context& {
        return *raw->contexts_[raw->next_context_.fetch_add(1, std::memory_order_relaxed) % raw->contexts_.size()];
      },
      net::ip::tcp::endpoint(address, port), *server->ctx_);
  if (!listener) return Errors{std::move(listener).error()};
  server->listener_ = std::move(listener).value();
  server->port_ = server->listener_->local_endpoint().port();
  return server;
}

Server::~Server() {
  if (!threads_.empty()) {
    {
      std::unique_lock lock(drain_mu_);
      if (drain_started_) drained_cv_.wait(lock, [this] { return drained_; });
    }
    stop_threads();
  }
  ctx_->blocking.join();
}

void Server::start() {
  for (auto& c : contexts_) guards_.push_back(net::make_work_guard(*c));
  listener_->start();
  for (auto& c : contexts_) {
    net::io_context* ioc = c.get();
    threads_.emplace_back([ioc] { ioc->run(); });
  }
  std::shared_ptr<const RuleSet> rules = ctx_->engine->rules();
  log_event(spdlog::level::info, "listening",
            {{"url", url()},
             {"threads", contexts_.size()},
             {"rules", ctx_->config.rules_dir.string()},
             {"rules_version", rules->version()},
             {"data_dir", ctx_->config.data_dir.string()},
             {"auth", ctx_->auth.open() ? "none (loopback only)" : "bearer tokens"}});
}

std::string Server::url() const {
  ServerConfig c = ctx_->config;
  c.port = port_;
  if (c.host == "localhost") c.host = "127.0.0.1";
  return "http://" + c.listen_string();
}

Status<Errors> Server::reload_rules() { return vigil::server::reload_rules(*ctx_, "sighup"); }

bool Server::drain() {
  {
    std::unique_lock lock(drain_mu_);
    if (drain_started_) {
      drained_cv_.wait(lock, [this] { return drained_; });
      return drain_result_;
    }
    drain_started_ = true;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto deadline = t0 + ctx_->config.limits.drain_timeout;
  log_event(spdlog::level::info, "draining", {{"sessions", ctx_->sessions.size()}});
  ctx_->draining.store(true);
  listener_->stop();
  ctx_->sessions.drain_all();
  while (ctx_->sessions.size() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const size_t left = ctx_->sessions.size();
  Status<> flushed = ctx_->engine->flush();
  stop_threads();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  log_event(left == 0 && flushed ? spdlog::level::info : spdlog::level::warn, "drained",
            {{"ms", ms},
             {"sessions_cut", left},
             {"flushed", flushed.ok()},
             {"flush_error", flushed ? "" : flushed.error().to_text()}});
  {
    std::lock_guard lock(drain_mu_);
    drained_ = true;
    drain_result_ = left == 0 && flushed.ok();
  }
  drained_cv_.notify_all();
  return left == 0 && flushed.ok();
}

void Server::wait() {
  std::unique_lock lock(drain_mu_);
  drained_cv_.wait(lock, [this] { return drained_; });
}

void Server::stop_threads() {
  guards_.clear();
  for (auto& c : contexts_) c->stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace vigil::server
