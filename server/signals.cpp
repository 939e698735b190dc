#include "server/signals.h"

#include <csignal>

#include "server/log.h"
#include "server/server.h"

namespace vigil::server {

SignalHandler::SignalHandler(Server& server) : server_(server), signals_(ioc_, SIGHUP, SIGTERM, SIGINT) {
  signals_.add(SIGUSR1);
  arm();
  thread_ = std::thread([this] { ioc_.run(); });
}

SignalHandler::~SignalHandler() {
  boost::system::error_code ignored;  // a destructor must not throw; a failed cancel changes nothing here
  signals_.cancel(ignored);
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
      // Logged (rules_reloaded / rules_reload_failed) and counted by the reload itself.
      (void)server_.reload_rules();
    } else if (signo == SIGUSR1) {
      // To the new file, or, when it cannot be opened, to the old one, which stays.
      if (Status<> s = reopen_log(); !s) {
        log_event(spdlog::level::err, "log_reopen_failed", {{"error", s.error().to_text()}});
      } else {
        log_event(spdlog::level::info, "log_reopened", {{"signal", "SIGUSR1"}});
      }
    } else if (!drainer_.joinable()) {
      log_event(spdlog::level::info, "signal", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"}});
      drainer_ = std::thread([this] { server_.drain(); });
    }
    arm();
  });
}

}  // namespace vigil::server
