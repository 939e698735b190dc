#include "server/listener.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>

#include <sstream>

#include "server/api_error.h"
#include "server/http_session.h"
#include "server/log.h"

namespace vigil::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

Listener::Listener(net::io_context& ioc, NextContext next, ServerContext& ctx)
    : ioc_(ioc), acceptor_(ioc), retry_(ioc), next_(std::move(next)), ctx_(ctx) {}

Result<std::shared_ptr<Listener>> Listener::create(net::io_context& ioc, NextContext next,
                                                   const tcp::endpoint& endpoint, ServerContext& ctx) {
  auto l = std::make_shared<Listener>(ioc, std::move(next), ctx);
  boost::system::error_code ec;
  auto fail = [&](const char* what) {
    std::ostringstream where;
    where << endpoint;
    return Error("server.listen_failed", std::string(what) + " " + where.str() + ": " + ec.message());
  };
  l->acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail("cannot open a socket for");
  l->acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  l->acceptor_.bind(endpoint, ec);
  if (ec) return fail("cannot bind");
  l->acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("cannot listen on");
  return l;
}

void Listener::start() { do_accept(); }

void Listener::stop() {
  net::post(ioc_, [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
    self->retry_.cancel();
  });
}

tcp::endpoint Listener::local_endpoint() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void Listener::do_accept() {
  if (!acceptor_.is_open()) return;
  acceptor_.async_accept(next_(), [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void Listener::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Out of descriptors and the like: log, wait a little, try again rather than spin.
    ctx_.metrics.error("server.accept_failed");
    log_event(spdlog::level::warn, "accept_failed", {{"error", ec.message()}});
    retry_.expires_after(std::chrono::milliseconds(50));
    retry_.async_wait([self = shared_from_this()](boost::system::error_code e) {
      if (!e) self->do_accept();
    });
    return;
  }
  ctx_.metrics.connection_accepted();
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  if (static_cast<size_t>(ctx_.metrics.open_connections()) >= ctx_.config.limits.max_connections) {
    reject(std::move(socket));
  } else {
    std::make_shared<HttpSession>(std::move(socket), ctx_)->start();
  }
  do_accept();
}

void Listener::reject(tcp::socket socket) {
  ctx_.metrics.error("limit.connections");
  Response r = error_response(429, "limit.connections", "too many open connections; retry later");
  auto bytes = std::make_shared<std::string>();
  serialize(r, false, *bytes);
  auto sock = std::make_shared<tcp::socket>(std::move(socket));
  net::async_write(*sock, net::buffer(*bytes), [sock, bytes](boost::system::error_code, size_t) {
    boost::system::error_code ec;
    sock->shutdown(tcp::socket::shutdown_send, ec);
    sock->close(ec);
  });
}

}  // namespace vigil::server
