#include "server/websocket_session.h"

#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/error.hpp>

#include <chrono>

#include "plugin/common/json_text.h"
#include "server/api_error.h"
#include "server/log.h"
#include "server/message_intake.h"

namespace vigil::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

WebSocketSession::WebSocketSession(net::ip::tcp::socket socket, ServerContext& ctx)
    : ws_(std::move(socket)), ctx_(ctx), close_timer_(ws_.get_executor()) {
  ctx_.metrics.connection_opened(ConnectionKind::kWebSocket);
}

WebSocketSession::~WebSocketSession() {
  ctx_.metrics.connection_closed(ConnectionKind::kWebSocket);
  if (registry_id_ != 0) ctx_.sessions.remove(registry_id_);
}

// The session takes the upgrade request over from its HTTP session, which is gone by the
// time the accept completes, so it is taken by value.
// NOLINTNEXTLINE(performance-unnecessary-value-param)
void WebSocketSession::start(beast::http::request<beast::http::string_body> request) {
  registry_id_ = ctx_.sessions.add(weak_from_this());
  const Limits& l = ctx_.config.limits;
  websocket::stream_base::timeout timeout;
  timeout.handshake_timeout = l.header_timeout;
  timeout.idle_timeout = l.idle_timeout;
  timeout.keep_alive_pings = true;
  ws_.set_option(timeout);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(beast::http::field::server, "vigil"); }));
  ws_.read_message_max(l.max_ws_frame_bytes);
  ws_.auto_fragment(false);
  ws_.async_accept(request, [self = shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
}

void WebSocketSession::on_accept(beast::error_code ec) {
  if (ec) {
    ctx_.metrics.error("stream.handshake_failed");
    done_ = true;
    return;
  }
  if (ctx_.draining.load(std::memory_order_relaxed)) {
    begin_close(websocket::close_code::going_away, "server shutting down", false);
  }
  do_read();
}

void WebSocketSession::drain() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    self->begin_close(websocket::close_code::going_away, "server shutting down", false);
  });
}

void WebSocketSession::do_read() {
  ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
}

void WebSocketSession::on_read(beast::error_code ec) {
  if (ec) {
    if (ec == websocket::error::message_too_big) {
      // Beast has already sent close 1009.
      ctx_.metrics.error("stream.frame_too_large");
    }
    done_ = true;
    close_timer_.cancel();
    return;
  }
  if (closing_) {
    // Frames the peer sent before it saw our close: not answered.
    buffer_.consume(buffer_.size());
    do_read();
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::string reply;
  std::string error_code;
  if (!ws_.got_text()) {
    error_code = "stream.binary_frame";
    reply = dump_json(error_json(Error(error_code, "send messages as text frames of JSON")));
  } else {
    const auto data = buffer_.cdata();
    const std::string_view body(static_cast<const char*>(data.data()), data.size());
    Response in = answer_safely("stream", [&] { return score_body(ctx_, body); });
    reply = std::move(in.body);
    error_code = std::move(in.error_code);
  }
  buffer_.consume(buffer_.size());
  ctx_.metrics.request(Route::kStream, std::chrono::steady_clock::now() - t0);
  if (!error_code.empty()) ctx_.metrics.error(error_code);
  send(std::move(reply));
  do_read();  // keeps reading during a close, to take the peer's close frame
}

void WebSocketSession::send(std::string frame) {
  if (closing_ || done_) return;
  if (out_.size() >= ctx_.config.limits.queue_depth) {
    ctx_.metrics.error("stream.slow_consumer");
    log_event(spdlog::level::warn, "slow_consumer", {{"queued", out_.size()}});
    begin_close(websocket::close_code::try_again_later,
                "slow consumer: " + std::to_string(out_.size()) + " replies unread", true);
    return;
  }
  out_.push_back(std::move(frame));
  if (!writing_) do_write();
}

void WebSocketSession::do_write() {
  if (done_) return;
  if (out_.empty()) {
    if (closing_ && !close_sent_) do_close();
    return;
  }
  writing_ = true;
  ws_.text(true);
  ws_.async_write(net::buffer(out_.front()), [self = shared_from_this()](beast::error_code ec, size_t) {
    self->writing_ = false;
    if (ec) {
      self->done_ = true;
      return;
    }
    self->out_.pop_front();
    self->do_write();
  });
}

void WebSocketSession::begin_close(websocket::close_code code, const std::string& reason, bool drop_queued) {
  if (closing_ || done_) return;
  closing_ = true;
  close_reason_ = websocket::close_reason(code, reason);
  if (drop_queued) {
    // Keep only the frame being written: Beast cannot abandon a write half way.
    while (out_.size() > (writing_ ? 1u : 0u)) out_.pop_back();
  }
  // If the peer reads nothing, even the close frame never leaves: cut the connection.
  close_timer_.expires_after(ctx_.config.limits.write_timeout);
  close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->done_) return;
    self->done_ = true;
    beast::error_code ignored;
    beast::get_lowest_layer(self->ws_).close(ignored);
  });
  if (!writing_) do_write();
}

void WebSocketSession::do_close() {
  close_sent_ = true;
  ws_.async_close(close_reason_, [self = shared_from_this()](beast::error_code) {
    // The pending read ends when the peer's close frame arrives (or the socket goes).
  });
}

}  // namespace vigil::server
