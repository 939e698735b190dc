#include "server/signals.h"

#include <csignal>

#include "server/log.h"
#include "server/server.h"

namespace vigil::server {

SignalHandler::SignalHandler(Server& server) : server_(server), signals_(ioc_, SIGHUP, SIGTERM, SIGINT) {
  arm();
  thread_ = std::thread([this] { ioc_.run(); });
}

SignalHandler::~SignalHandler() {
  signals_.cancel();
  ioc_.stop();
  if (thread_.joinable()) thread_.join();
  if (drainer_.joinable()) drainer_.join();
}

void SignalHandler::arm() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      log_event(spdlog::level::info, "signal", {{"signal", "SIGHUP"}});
      // Compiles the rules on this thread: the io threads keep serving.
      (void)server_.reload_rules();
    } else if (!drainer_.joinable()) {
      log_event(spdlog::level::info, "signal", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"}});
      drainer_ = std::thread([this] { server_.drain(); });
    }
    arm();
  });
}

}  // namespace vigil::server
