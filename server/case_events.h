// GET /v1/cases/events (scope moderate): server-sent events that tell a moderator's
// console when a case opens or changes, so its queue updates without a reload.
//
//   HTTP/1.1 200, Content-Type: text/event-stream, Connection: close (the stream ends
//   when either side closes); then
//   retry: 2000
//   event: case
//   data: {"type": "case.opened"|"case.updated", "id", "conversation_id", "status",
//          "level", "risk", "updated_at"}
//   ...
//   : ping                (a comment every 15 s, so dead peers are found)
//
// An event is a hint to re-read (GET /v1/cases): it carries no message text, may repeat,
// and a client that reconnects re-reads rather than replaying. Browsers read it with
// fetch() and a bearer token (EventSource cannot send an Authorization header).
//
// Where the events come from: one CaseEventHub per server. While at least one stream is
// open, it reads the 50 most recently updated cases from the case store every 500 ms, on
// the blocking pool (never an io thread), and reports the ones that are new or whose
// version, message count, status or level moved since the previous read. With no stream
// open it reads nothing. The case store needs no hook for it.
//
// A stream that does not keep up (more than 256 events queued) or whose write stalls
// longer than limits.write_timeout is closed (error events.slow_consumer). drain() closes
// every stream. Thread-safe: subscribe() from any thread; each stream lives on its
// socket's io_context.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/http_message.h"
#include "server/server_context.h"

namespace vigil::server {

class EventStream;

class CaseEventHub : public std::enable_shared_from_this<CaseEventHub> {
 public:
  explicit CaseEventHub(ServerContext& ctx);
  CaseEventHub(const CaseEventHub&) = delete;
  CaseEventHub& operator=(const CaseEventHub&) = delete;

  // Adds a stream; starts polling when it is the first.
  void subscribe(const std::shared_ptr<EventStream>& stream);
  size_t subscribers() const;

 private:
  struct Seen {
    int64_t version = 0;
    uint64_t messages = 0;
    std::string status, level;
  };
  void schedule();
  void poll();
  // Live streams (dropping the closed ones); empty stops the polling.
  std::vector<std::shared_ptr<EventStream>> live();

  ServerContext& ctx_;
  boost::asio::steady_timer timer_;  // on ctx_.blocking
  mutable std::mutex mu_;
  std::vector<std::weak_ptr<EventStream>> streams_;
  bool polling_ = false;
  // Only the poll (one at a time on the blocking pool) touches these.
  std::unordered_map<std::string, Seen> seen_;
  int64_t since_ms_ = 0;  // a poll that starts from idle reports cases updated after this
  bool baseline_ = true;
};

// One open event stream: owns the socket handed over by the HTTP session.
class EventStream : public std::enable_shared_from_this<EventStream>, public Drainable {
 public:
  EventStream(boost::asio::ip::tcp::socket socket, ServerContext& ctx);
  ~EventStream() override;
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // Registers with the hub and the drain registry, writes the response head.
  void start();
  // Queues one event frame (any thread).
  void push(std::shared_ptr<const std::string> frame);
  void drain() override;
  bool closed() const { return closed_flag_.load(std::memory_order_relaxed); }

 private:
  using Clock = std::chrono::steady_clock;
  void enqueue(std::shared_ptr<const std::string> frame);
  void write_next();
  void read_next();
  void arm_heartbeat();
  void close();

  boost::asio::ip::tcp::socket socket_;
  ServerContext& ctx_;
  boost::asio::steady_timer heartbeat_;
  std::vector<std::shared_ptr<const std::string>> queue_;
  size_t next_ = 0;  // index in queue_ of the frame to write next
  bool writing_ = false;
  bool closed_ = false;
  std::atomic<bool> closed_flag_{false};
  Clock::time_point write_started_;
  std::array<char, 256> read_buffer_{};
  uint64_t registry_id_ = 0;
};

// The route: checks that a case store exists, then answers with a takeover that turns
// the connection into an EventStream.
Response handle_case_events(ServerContext& ctx, const Request& req);

}  // namespace vigil::server
