#include "server/http_session.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>

#include "plugin/common/json_text.h"
#include "server/api_error.h"
#include "server/log.h"
#include "server/router.h"
#include "server/websocket_session.h"

namespace vigil::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Request view_of(const http::request<http::string_body>& req, bool loopback) {
  Request r;
  r.method = req.method();
  r.method_text = std::string_view(req.method_string().data(), req.method_string().size());
  std::string_view target(req.target().data(), req.target().size());
  const size_t q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string_view::npos) r.query = target.substr(q + 1);
  r.body = req.body();
  auto auth = req.find(http::field::authorization);
  if (auth != req.end()) r.authorization = std::string_view(auth->value().data(), auth->value().size());
  r.loopback_peer = loopback;
  auto etag = req.find(http::field::if_none_match);
  if (etag != req.end()) r.if_none_match = std::string_view(etag->value().data(), etag->value().size());
  return r;
}

namespace {

bool logs_refusal(const Response& r) {
  return r.status >= 400 && r.status < 500 && !r.error_code.empty() && log_enabled(spdlog::level::info);
}

// One line per refused request (401, 403, 404, 400 ...), for an operator asking why a
// client fails: `token` is the name of the token presented ("" when none or unknown).
void log_refusal(const Response& r, Route route, std::string_view path, const std::string& token) {
  log_event(spdlog::level::info, "request_refused",
            {{"status", r.status},
             {"code", r.error_code},
             {"route", route_label(route)},
             {"path", clip_echo(path)},
             {"token", token}});
}

}  // namespace

void HttpSession::count_error(const Response& r, const Request& view) {
  if (r.error_code.empty()) return;
  ctx_.metrics.error(r.error_code);
  if (logs_refusal(r)) log_refusal(r, route_, view.path, ctx_.auth.name_of(view.authorization));
}

HttpSession::HttpSession(net::ip::tcp::socket socket, ServerContext& ctx)
    : socket_(std::move(socket)), ctx_(ctx), watchdog_(socket_.get_executor()) {
  const Limits& l = ctx_.config.limits;
  auto shortest = std::min({l.header_timeout, l.idle_timeout, l.write_timeout});
  tick_ = std::clamp<Clock::duration>(shortest / 4, std::chrono::milliseconds(5), std::chrono::seconds(1));
  beast::error_code ec;
  loopback_ = socket_.remote_endpoint(ec).address().is_loopback() && !ec;
  ctx_.metrics.connection_opened(ConnectionKind::kHttp);
}

HttpSession::~HttpSession() {
  release_body();
  ctx_.metrics.connection_closed(ConnectionKind::kHttp);
  if (registry_id_ != 0) ctx_.sessions.remove(registry_id_);
}

void HttpSession::start() {
  net::post(socket_.get_executor(), [self = shared_from_this()] { self->run(); });
}

void HttpSession::run() {
  registry_id_ = ctx_.sessions.add(weak_from_this());
  if (ctx_.draining.load(std::memory_order_relaxed)) stop_reading_ = true;
  arm_watchdog();
  do_read();
}

void HttpSession::drain() {
  net::post(socket_.get_executor(), [self = shared_from_this()] { self->on_drain(); });
}

void HttpSession::on_drain() {
  if (closed_) return;
  stop_reading_ = true;
  // Between requests: nothing in flight to finish, so stop the read now. A request
  // already arriving is read, answered (with Connection: close) and then the socket
  // closes.
  if (reading_ && !saw_bytes_ && buffer_.size() == 0 && !parser_->got_some()) {
    beast::error_code ec;
    socket_.cancel(ec);
  }
}

void HttpSession::do_read() {
  release_body();
  refused_.reset();
  parser_.emplace();
  parser_->body_limit(ctx_.config.limits.max_body_bytes);
  parser_->header_limit(kHeaderLimit);
  reading_ = true;
  saw_bytes_ = false;
  read_started_ = Clock::now();
  // The header first, so `Expect: 100-continue` (curl sends it for bodies over 1 KiB)
  // is answered rather than left to the client's one-second timeout.
  http::async_read_header(socket_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
}

void HttpSession::on_header(beast::error_code ec) {
  if (ec || closed_) {
    on_read(ec);
    return;
  }
  if (refuse_on_header()) return;
  auto expect = parser_->get().find(http::field::expect);
  if (expect != parser_->get().end() && beast::iequals(expect->value(), "100-continue") && queue_.empty() &&
      !writing_) {
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    writing_ = true;
    write_started_ = Clock::now();
    net::async_write(socket_, net::buffer(kContinue), [self = shared_from_this()](beast::error_code e, size_t) {
      self->writing_ = false;
      if (e) {
        self->close();
        return;
      }
      self->read_body();
    });
    return;
  }
  read_body();
}

bool HttpSession::refuse_on_header() {
  http::request<http::string_body>& head = parser_->get();
  if (beast::websocket::is_upgrade(head)) return false;  // check_upgrade decides, body or not
  const Request view = view_of(head, loopback_);
  route_ = Route::kOther;
  std::optional<Response> refused = check_header(ctx_, view, route_);
  if (refused) {
    const auto length = parser_->content_length();  // boost::optional
    if (parser_->is_done() || (length && *length <= buffer_.size())) {
      // The body (if any) is already here: read it from the buffer, answer, keep the
      // connection, as for any other error.
      refused_ = std::move(refused);
      return false;
    }
    ctx_.metrics.request(route_, Clock::duration::zero());
    count_error(*refused, view);
    stop_reading_ = true;
    push(*refused, false);
    return true;
  }
  const auto length = parser_->content_length();  // boost::optional
  const size_t need = length               ? static_cast<size_t>(*length)
                      : parser_->chunked() ? ctx_.config.limits.max_body_bytes
                                           : 0;
  if (need > 0) {
    if (!ctx_.bodies.try_reserve(need)) {
      refuse(503, "server.busy", "request bodies in flight are at limits.max_body_bytes_in_flight; retry later");
      return true;
    }
    body_reserved_ = need;
  }
  return false;
}

void HttpSession::release_body() {
  if (body_reserved_ == 0) return;
  ctx_.bodies.release(body_reserved_);
  body_reserved_ = 0;
}

void HttpSession::read_body() {
  // Usually the body came with the header: parse it from the buffer without another
  // trip through the io_context.
  if (!parser_->is_done() && buffer_.size() > 0) {
    beast::error_code ec;
    const size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec && ec != http::error::need_more) {
      on_read(ec);
      return;
    }
  }
  if (parser_->is_done()) {
    on_read({});
    return;
  }
  http::async_read(socket_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
}

void HttpSession::on_read(beast::error_code ec) {
  reading_ = false;
  if (closed_) return;
  if (ec) {
    release_body();
    if (ec == http::error::body_limit) {
      refuse(413, "request.body_too_large",
             "the request body is larger than limits.max_body_bytes (" +
                 std::to_string(ctx_.config.limits.max_body_bytes) + " bytes)");
    } else if (ec == http::error::header_limit) {
      refuse(431, "request.header_too_large",
             "the request headers are larger than " + std::to_string(kHeaderLimit / 1024) + " KiB");
    } else if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message) {
      // Beast's message names the fault (bad method, bad target, bad version ...).
      refuse(400, "request.bad_http", "the request is not valid HTTP/1.1: " + ec.message());
    } else {
      // The peer went away or we cancelled the read: finish writing, then close.
      stop_reading_ = true;
      maybe_write();
    }
    return;
  }
  handle_request();
}

void HttpSession::refuse(unsigned status, const char* code, std::string message) {
  Response r = error_response(status, code, std::move(message));
  count_error(r, parser_ ? view_of(parser_->get(), loopback_) : Request{});
  stop_reading_ = true;
  push(r, false);
}

void HttpSession::handle_request() {
  http::request<http::string_body>& req = parser_->get();
  const Request view = view_of(req, loopback_);
  const bool keep_alive = req.keep_alive() && !stop_reading_ && !ctx_.draining.load(std::memory_order_relaxed);

  if (beast::websocket::is_upgrade(req)) {
    stop_reading_ = true;
    if (std::optional<Response> refused = check_upgrade(ctx_, view)) {
      count_error(*refused, view);
      push(*refused, false);
      return;
    }
    upgrade_request_ = parser_->release();
    release_body();
    maybe_write();  // upgrades once earlier replies are out
    return;
  }

  const auto t0 = Clock::now();
  const Route route = route_;
  Response resp = refused_ ? std::move(*refused_) : answer_safely("http", [&] { return dispatch(ctx_, view); });
  refused_.reset();
  // The body is answered: free it and its share of the budget now, not when the next
  // request starts (reading may pause for a slow reader).
  std::string().swap(req.body());
  release_body();
  if (!keep_alive || resp.close) stop_reading_ = true;

  if (resp.takeover) {  // the connection becomes a stream once earlier replies are out
    ctx_.metrics.request(route, Clock::now() - t0);
    stop_reading_ = true;
    takeover_ = std::move(resp.takeover);
    maybe_write();
    return;
  }
  if (resp.deferred) {
    queue_.push_back(Slot{std::string(), false, !keep_alive});
    Slot* slot = &queue_.back();  // deque: stays valid while later slots are added
    // What a refusal's log line needs, taken now: the request is gone when the reply is.
    std::string path(view.path), token = ctx_.auth.name_of(view.authorization);
    net::post(ctx_.blocking, [self = shared_from_this(), slot, job = std::move(resp.deferred), keep_alive, t0, route,
                              path = std::move(path), token = std::move(token)] {
      Response out = answer_safely("deferred", job);
      net::post(self->socket_.get_executor(), [self, slot, out = std::move(out), keep_alive, t0, route, path, token] {
        self->ctx_.metrics.request(route, Clock::now() - t0);
        if (!out.error_code.empty()) self->ctx_.metrics.error(out.error_code);
        if (logs_refusal(out)) log_refusal(out, route, path, token);
        serialize(out, keep_alive, slot->bytes);
        slot->close = slot->close || out.close;
        slot->ready = true;
        self->maybe_write();
      });
    });
  } else {
    ctx_.metrics.request(route, Clock::now() - t0);
    count_error(resp, view);
    push(resp, keep_alive);
  }
  if (!stop_reading_ && queue_.size() < ctx_.config.limits.queue_depth) do_read();
}

void HttpSession::push(const Response& r, bool keep_alive) {
  Slot slot;
  slot.close = !keep_alive || r.close;
  serialize(r, keep_alive, slot.bytes);
  queue_.push_back(std::move(slot));
  maybe_write();
}

void HttpSession::maybe_write() {
  if (writing_ || closed_) return;
  gather_.clear();
  close_after_write_ = false;
  in_flight_ = 0;
  for (const Slot& s : queue_) {
    if (!s.ready) break;
    gather_.emplace_back(s.bytes.data(), s.bytes.size());
    ++in_flight_;
    if (s.close) {
      close_after_write_ = true;
      break;
    }
  }
  if (in_flight_ == 0) {
    if (!queue_.empty()) return;  // waiting for a deferred reply
    if (upgrade_request_) {
      upgrade();
    } else if (takeover_) {
      hand_over();
    } else if (stop_reading_ && !reading_) {
      close();
    }
    return;
  }
  writing_ = true;
  write_started_ = Clock::now();
  net::async_write(socket_, gather_, [self = shared_from_this()](beast::error_code ec, size_t) { self->on_write(ec); });
}

void HttpSession::on_write(beast::error_code ec) {
  writing_ = false;
  if (ec) {
    close();
    return;
  }
  for (size_t i = 0; i < in_flight_; ++i) queue_.pop_front();
  in_flight_ = 0;
  if (close_after_write_) {
    close();
    return;
  }
  if (!stop_reading_ && !reading_ && queue_.size() < ctx_.config.limits.queue_depth) do_read();
  maybe_write();
}

void HttpSession::arm_watchdog() {
  watchdog_.expires_after(tick_);
  watchdog_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) self->on_watchdog();
  });
}

void HttpSession::on_watchdog() {
  if (closed_) return;
  const Limits& l = ctx_.config.limits;
  const auto now = Clock::now();
  if (reading_) {
    if (!saw_bytes_ && (buffer_.size() > 0 || parser_->got_some())) {
      saw_bytes_ = true;
      first_byte_ = now;
    }
    if (saw_bytes_) {
      const bool header_late = !parser_->is_header_done() && now - first_byte_ > l.header_timeout;
      const bool body_late = now - first_byte_ > l.header_timeout + l.idle_timeout;
      if (header_late || body_late) {
        ctx_.metrics.error("request.timeout");
        log_event(spdlog::level::debug, "request_timeout", {{"header_done", parser_->is_header_done()}});
        close();
        return;
      }
    } else if (queue_.empty() && !writing_ && now - read_started_ > l.idle_timeout) {
      close();  // idle keep-alive connection: an ordinary end, not an error
      return;
    }
  }
  if (writing_ && now - write_started_ > l.write_timeout) {
    ctx_.metrics.error("request.write_timeout");
    close();
    return;
  }
  arm_watchdog();
}

void HttpSession::upgrade() {
  closed_ = true;
  watchdog_.cancel();
  auto ws = std::make_shared<WebSocketSession>(std::move(socket_), ctx_);
  ws->start(std::move(*upgrade_request_));
  upgrade_request_.reset();
}

void HttpSession::hand_over() {
  closed_ = true;
  watchdog_.cancel();
  auto takeover = std::move(takeover_);
  takeover_ = nullptr;
  takeover(std::move(socket_));
}

void HttpSession::close() {
  if (closed_) return;
  closed_ = true;
  release_body();
  watchdog_.cancel();
  beast::error_code ec;
  socket_.shutdown(net::ip::tcp::socket::shutdown_send, ec);
  socket_.close(ec);
}

}  // namespace vigil::server
