#include "server/case_events.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <nlohmann/json.hpp>

#include "plugin/common/json_text.h"
#include "plugin/engine/message_json.h"
#include "server/api_error.h"
#include "server/log.h"

namespace vigil::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr auto kPollEvery = std::chrono::milliseconds(500);
constexpr auto kHeartbeatEvery = std::chrono::seconds(15);
constexpr size_t kRecentCases = 50;
constexpr size_t kMaxQueued = 256;
// A poll starting from idle also reports cases updated this long before it, so a case
// that changed while the stream was being set up is not missed.
constexpr int64_t kStartSlackMs = 2000;

// No Content-Length: the body is the stream, ended by closing the connection.
constexpr std::string_view kHead =
    "HTTP/1.1 200 OK\r\nServer: vigil\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
    "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n"
    "retry: 2000\n\n";
constexpr std::string_view kPing = ": ping\n\n";

std::shared_ptr<const std::string> event_frame(const cases::CaseSummary& c, bool opened) {
  nlohmann::json data = {{"type", opened ? "case.opened" : "case.updated"},
                         {"id", c.id},
                         {"conversation_id", c.conversation_id},
                         {"status", cases::to_string(c.status)},
                         {"level", to_string(c.level)},
                         {"risk", c.risk},
                         {"updated_at", format_rfc3339(c.updated_ms)}};
  // JSON escapes newlines, so the data stays on one line as SSE needs.
  return std::make_shared<const std::string>("event: case\ndata: " + dump_json(data) + "\n\n");
}

}  // namespace

// --- CaseEventHub ---

CaseEventHub::CaseEventHub(ServerContext& ctx) : ctx_(ctx), timer_(ctx.blocking.get_executor()) {}

void CaseEventHub::subscribe(const std::shared_ptr<EventStream>& stream) {
  std::lock_guard lock(mu_);
  streams_.push_back(stream);
  if (polling_) return;
  polling_ = true;
  net::post(ctx_.blocking, [self = shared_from_this()] {
    self->baseline_ = true;
    self->since_ms_ = self->ctx_.cases->now_ms() - kStartSlackMs;
    self->poll();
  });
}

size_t CaseEventHub::subscribers() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& w : streams_) {
    if (auto s = w.lock(); s && !s->closed()) ++n;
  }
  return n;
}

std::vector<std::shared_ptr<EventStream>> CaseEventHub::live() {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<EventStream>> out;
  std::erase_if(streams_, [&](const std::weak_ptr<EventStream>& w) {
    auto s = w.lock();
    if (!s || s->closed()) return true;
    out.push_back(std::move(s));
    return false;
  });
  if (out.empty()) polling_ = false;  // the next subscribe() starts it again
  return out;
}

void CaseEventHub::schedule() {
  timer_.expires_after(kPollEvery);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->poll();
  });
}

void CaseEventHub::poll() {
  std::vector<std::shared_ptr<EventStream>> streams = live();
  if (streams.empty()) {
    seen_.clear();
    return;
  }
  cases::CaseQuery q;
  q.sort = cases::SortKey::kUpdated;
  q.descending = true;
  q.limit = kRecentCases;
  Result<cases::CasePage> page = ctx_.cases->store().list(q);
  if (!page) {
    ctx_.metrics.error("events.store_failed");
    log_event(spdlog::level::warn, "case_events_poll_failed", {{"error", page.error().to_text()}});
    schedule();
    return;
  }
  std::unordered_map<std::string, Seen> now;
  std::vector<std::shared_ptr<const std::string>> frames;
  for (const cases::CaseSummary& c : page.value().cases) {
    Seen s{c.version, c.message_count, cases::to_string(c.status), to_string(c.level)};
    auto it = seen_.find(c.id);
    bool changed;
    if (baseline_) {
      changed = c.updated_ms >= since_ms_;
    } else {
      changed = it == seen_.end() || it->second.version != s.version || it->second.messages != s.messages ||
                it->second.status != s.status || it->second.level != s.level;
    }
    if (changed) frames.push_back(event_frame(c, it == seen_.end() && c.opened_ms >= since_ms_));
    now.emplace(c.id, std::move(s));
  }
  seen_ = std::move(now);
  baseline_ = false;
  for (const auto& frame : frames) {
    for (const auto& s : streams) s->push(frame);
  }
  schedule();
}

// --- EventStream ---

EventStream::EventStream(tcp::socket socket, ServerContext& ctx)
    : socket_(std::move(socket)), ctx_(ctx), heartbeat_(socket_.get_executor()) {}

EventStream::~EventStream() {
  if (registry_id_ != 0) ctx_.sessions.remove(registry_id_);
}

void EventStream::start() {
  net::post(socket_.get_executor(), [self = shared_from_this()] {
    self->registry_id_ = self->ctx_.sessions.add(self->weak_from_this());
    if (self->ctx_.draining.load(std::memory_order_relaxed)) {
      self->close();
      return;
    }
    self->enqueue(std::make_shared<const std::string>(kHead));
    self->ctx_.case_events->subscribe(self);
    self->read_next();
    self->arm_heartbeat();
  });
}

void EventStream::push(std::shared_ptr<const std::string> frame) {
  net::post(socket_.get_executor(),
            [self = shared_from_this(), frame = std::move(frame)]() mutable { self->enqueue(std::move(frame)); });
}

void EventStream::enqueue(std::shared_ptr<const std::string> frame) {
  if (closed_) return;
  if (queue_.size() - next_ >= kMaxQueued) {
    ctx_.metrics.error("events.slow_consumer");
    close();
    return;
  }
  queue_.push_back(std::move(frame));
  write_next();
}

void EventStream::write_next() {
  if (writing_ || closed_) return;
  if (next_ == queue_.size()) {
    queue_.clear();
    next_ = 0;
    return;
  }
  writing_ = true;
  write_started_ = Clock::now();
  std::shared_ptr<const std::string> frame = queue_[next_];
  net::async_write(socket_, net::buffer(*frame),
                   [self = shared_from_this(), frame](boost::system::error_code ec, size_t) {
                     self->writing_ = false;
                     if (ec) {
                       self->close();
                       return;
                     }
                     ++self->next_;
                     self->write_next();
                   });
}

// The client sends nothing after its request; a read that ends means it went away.
void EventStream::read_next() {
  socket_.async_read_some(net::buffer(read_buffer_), [self = shared_from_this()](boost::system::error_code ec, size_t) {
    if (ec) {
      self->close();
      return;
    }
    self->read_next();
  });
}

void EventStream::arm_heartbeat() {
  heartbeat_.expires_after(kHeartbeatEvery);
  heartbeat_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->closed_) return;
    if (self->writing_ && Clock::now() - self->write_started_ > self->ctx_.config.limits.write_timeout) {
      self->ctx_.metrics.error("events.slow_consumer");
      self->close();
      return;
    }
    static const auto kPingFrame = std::make_shared<const std::string>(kPing);
    self->enqueue(kPingFrame);
    self->arm_heartbeat();
  });
}

void EventStream::drain() {
  net::post(socket_.get_executor(), [self = shared_from_this()] { self->close(); });
}

void EventStream::close() {
  if (closed_) return;
  closed_ = true;
  closed_flag_.store(true, std::memory_order_relaxed);
  heartbeat_.cancel();
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

// --- the route ---

Response handle_case_events(ServerContext& ctx, const Request&) {
  if (!ctx.cases || !ctx.case_events) {
    return error_response(503, "cases.unavailable", "this server keeps no cases");
  }
  if (ctx.draining.load(std::memory_order_relaxed)) {
    Response r = error_response(503, "server.draining", "the server is shutting down");
    r.close = true;
    return r;
  }
  Response r;
  r.takeover = [&ctx](tcp::socket socket) { std::make_shared<EventStream>(std::move(socket), ctx)->start(); };
  return r;
}

}  // namespace vigil::server
