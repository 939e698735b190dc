// Listener: accepts TCP connections and hands each to an HttpSession on the next io
// context of the pool (round robin), with TCP_NODELAY set. Past limits.max_connections
// open connections a new one is answered 429 limit.connections and closed at once.
// Runs on the io_context it was created with; stop() may be called from any thread.
// Owned by shared_ptr (its pending accept holds one). Not copyable.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>

#include "plugin/common/error.h"
#include "server/server_context.h"

namespace vigil::server {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  using NextContext = std::function<boost::asio::io_context&()>;

  // Binds and listens (port 0 picks a free port); errors name the address.
  static Result<std::shared_ptr<Listener>> create(boost::asio::io_context& ioc, NextContext next,
                                                  const boost::asio::ip::tcp::endpoint& endpoint, ServerContext& ctx);
  Listener(boost::asio::io_context& ioc, NextContext next, ServerContext& ctx);
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  void start();
  // Stops accepting and closes the listening socket.
  void stop();
  boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  void reject(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;
  NextContext next_;
  ServerContext& ctx_;
};

}  // namespace vigil::server
