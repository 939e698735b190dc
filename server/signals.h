// Signals for `vigil serve`: SIGHUP reloads the rules (off the io threads, like
// POST /v1/rules/reload); SIGUSR1 reopens the log file (after logrotate moved it);
// SIGTERM and SIGINT drain the server (server.h) and end wait().
// Uses its own io_context on its own thread; the destructor stops it. Not copyable.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <thread>

namespace vigil::server {

class Server;

class SignalHandler {
 public:
  explicit SignalHandler(Server& server);
  ~SignalHandler();
  SignalHandler(const SignalHandler&) = delete;
  SignalHandler& operator=(const SignalHandler&) = delete;

 private:
  void arm();

  Server& server_;
  boost::asio::io_context ioc_{1};
  boost::asio::signal_set signals_;
  std::thread thread_;
  std::thread drainer_;
};

}  // namespace vigil::server
