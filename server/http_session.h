// HttpSession: one HTTP/1.1 connection. Keep-alive and pipelining: requests are read and
// answered in order while earlier replies are still being written; at most
// limits.queue_depth replies wait, then reading pauses until the peer reads (so a client
// that never reads costs bounded memory). Replies ready together go out in one gathered
// write. A WebSocket upgrade to /v1/stream hands the socket to a WebSocketSession.
//
// A request's header is checked before its body is read (router.h check_header): a
// refused request (404, 405, 401, 403) whose body has not all arrived is answered with
// Connection: close and its body is never read. A body is then reserved in the
// server's BodyBudget (body_budget.h): past limits.max_body_bytes_in_flight the reply
// is 503 server.busy and the connection closes, again without reading the body.
//
// Timeouts without a per-read deadline (which costs microseconds per request): a
// watchdog timer ticks a few times per timeout and closes the connection when a request
// header takes longer than limits.header_timeout from its first byte, when the
// connection sits idle longer than limits.idle_timeout, or when a write stalls longer
// than limits.write_timeout.
//
// Lives on one io_context thread (everything runs there); owned by shared_ptr from its
// pending operations. drain() may be called from any thread. Not copyable.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/http_message.h"
#include "server/server_context.h"

namespace vigil::server {

// Large enough for any sane header block; a bigger one gets 431.
inline constexpr uint32_t kHeaderLimit = 16 * 1024;

// The handler's view of a parsed request (borrows from `req`).
Request view_of(const boost::beast::http::request<boost::beast::http::string_body>& req, bool loopback);

class HttpSession : public std::enable_shared_from_this<HttpSession>, public Drainable {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, ServerContext& ctx);
  ~HttpSession() override;
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  // Starts serving on the socket's own io_context (callable from any thread).
  void start();
  void drain() override;

 private:
  using Clock = std::chrono::steady_clock;
  struct Slot {
    std::string bytes;
    bool ready = true;
    bool close = false;
  };

  void run();
  void do_read();
  void on_header(boost::beast::error_code ec);
  void read_body();
  void on_read(boost::beast::error_code ec);
  void handle_request();
  // After the header: the refusal of check_header or the body budget, if any.
  bool refuse_on_header();
  void release_body();
  void refuse(unsigned status, const char* code, std::string message);
  // Counts an error reply (vigil_errors_total) and logs a refused request (4xx) at info
  // with its route and the token's name (never the secret).
  void count_error(const Response& r, const Request& view);
  void push(const Response& r, bool keep_alive);
  void maybe_write();
  void on_write(boost::beast::error_code ec);
  void arm_watchdog();
  void on_watchdog();
  void on_drain();
  void upgrade();
  void hand_over();
  void close();

  boost::asio::ip::tcp::socket socket_;
  ServerContext& ctx_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::optional<boost::beast::http::request<boost::beast::http::string_body>> upgrade_request_;
  std::function<void(boost::asio::ip::tcp::socket)> takeover_;  // see Response::takeover
  std::deque<Slot> queue_;                                      // replies in request order
  std::vector<boost::asio::const_buffer> gather_;
  size_t in_flight_ = 0;  // slots at the front of queue_ being written
  bool close_after_write_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool stop_reading_ = false;  // peer closed, asked to close, or draining
  bool closed_ = false;
  bool saw_bytes_ = false;  // the current read has received part of a request
  bool loopback_ = false;
  Clock::time_point read_started_, first_byte_, write_started_;
  boost::asio::steady_timer watchdog_;
  Clock::duration tick_;
  uint64_t registry_id_ = 0;
  size_t body_reserved_ = 0;         // bytes of ctx_.bodies this request holds
  Route route_ = Route::kOther;      // the current request's, from check_header
  std::optional<Response> refused_;  // a header refusal sent once its small body is read
};

}  // namespace vigil::server
