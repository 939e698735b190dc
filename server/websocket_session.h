// WebSocketSession: one /v1/stream connection. A text frame holds one message or a JSON
// array of messages; each is answered by one text frame with the verdict or the array
// of verdicts, in order (message_intake.h). A bad frame (malformed JSON, a bad message,
// a binary frame) is answered with an error frame {"error": {...}} and the connection
// stays open.
//
// Bounds and closes:
//   - a frame over limits.max_ws_frame_bytes: close 1009 (too big)
//   - more than limits.queue_depth replies the peer has not read (a slow consumer): the
//     unsent replies are dropped and the socket closes with 1013 (try again later),
//     reason "slow consumer: ..."; if even that cannot be written within
//     limits.write_timeout the TCP connection is cut
//   - drain (SIGTERM): replies already queued are sent, then close 1001 (going away)
//   - idle_timeout without any frame: Beast pings the peer at half the timeout and
//     closes when no pong comes back, so a live but quiet client stays
//
// Lives on one io_context thread; owned by shared_ptr from its pending operations.
// drain() may be called from any thread. Not copyable.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <deque>
#include <memory>
#include <string>

#include "server/server_context.h"

namespace vigil::server {

class WebSocketSession : public std::enable_shared_from_this<WebSocketSession>, public Drainable {
 public:
  WebSocketSession(boost::asio::ip::tcp::socket socket, ServerContext& ctx);
  ~WebSocketSession() override;
  WebSocketSession(const WebSocketSession&) = delete;
  WebSocketSession& operator=(const WebSocketSession&) = delete;

  // Completes the handshake for the upgrade request already read (and authorised).
  void start(boost::beast::http::request<boost::beast::http::string_body> request);
  void drain() override;

 private:
  void on_accept(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec);
  void send(std::string frame);
  void do_write();
  void begin_close(boost::beast::websocket::close_code code, const std::string& reason, bool drop_queued);
  void do_close();

  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
  ServerContext& ctx_;
  boost::beast::flat_buffer buffer_;
  std::deque<std::string> out_;  // reply frames; the front one is being written when writing_
  bool writing_ = false;
  bool closing_ = false;  // no more frames are answered
  bool close_sent_ = false;
  bool done_ = false;  // the socket is finished
  boost::beast::websocket::close_reason close_reason_;
  boost::asio::steady_timer close_timer_;
  uint64_t registry_id_ = 0;
};

}  // namespace vigil::server
