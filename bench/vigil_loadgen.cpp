// vigil_loadgen: load on loopback for the sidecar and its ceilings (BENCHMARKS.md,
// "Sidecar"). Modes:
//   http        POST one message a request (keep-alive), N connections
//   http-batch  POST {"messages": [B messages]} a request
//   ws          one message a WebSocket frame
//   ws-batch    a JSON array of B messages a frame
//   echo-server a bare Beast WebSocket echo server (the streaming ceiling); no load
// Each connection keeps `--window` requests (frames) in flight and measures each from
// send to reply. Prints messages/s, requests/s and latency p50/p99/max, as text or
// --json. --rate R paces the whole run at R requests/s (for "p99 at half the peak").
// Messages are synthetic, mostly benign chat with a few grooming-signal phrases, each
// with a fresh message id. Loopback only: refuses any other host.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string mode = "http";
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::string path;
  std::string token;
  int connections = 16;
  int window = 1;
  int batch = 100;
  uint64_t per_conversation = 200;  // messages per conversation before a new one starts
  double duration = 5;
  double warmup = 1;
  double rate = 0;  // requests/s for the whole run; 0 = as fast as replies come
  int threads = 1;
  bool json = false;
};

constexpr const char* kTexts[] = {
    "hey how was school today",
    "lol that game last night was wild",
    "did you finish the homework for monday",
    "can you send me the notes from class",
    "my mom says dinner is at 7",
    "are your parents home right now",
    "dont tell anyone about us ok",
    "add me on snap its easier",
    "what are you doing this weekend",
    "gg that was a close match",
    "i have practice after school",
    "you are so mature for your age",
    "ok see you tomorrow",
    "haha yes exactly",
    "do you have a cam",
    "the bus was late again",
};

// Builds message bodies with fresh ids; one per connection, so no locking.
class MessageSource {
 public:
  MessageSource(int conn, int per_conversation) : conn_(conn), per_conversation_(per_conversation) {}
  void append(std::string& out) {
    const uint64_t n = next_++;
    out += R"({"conversation_id":"lg-)";
    out += std::to_string(conn_);
    out += '-';
    out += std::to_string(n / per_conversation_);  // a new conversation every N messages
    out += R"(","message_id":"m-)";
    out += std::to_string(n);
    out += R"(","sender_id":"u-)";
    out += (n & 1) ? 'a' : 'b';
    out += R"(","text":")";
    out += kTexts[(n * 7 + conn_) % (sizeof kTexts / sizeof kTexts[0])];
    out += "\"}";
  }
  std::string body(int batch, bool wrapped) {
    std::string out;
    if (batch <= 0) {
      append(out);
      return out;
    }
    out = wrapped ? R"({"messages":[)" : "[";
    for (int i = 0; i < batch; ++i) {
      if (i) out += ',';
      append(out);
    }
    out += wrapped ? "]}" : "]";
    return out;
  }

 private:
  int conn_;
  uint64_t per_conversation_;
  uint64_t next_ = 0;
};

struct Stats {
  std::vector<uint32_t> latency_us;
  uint64_t requests = 0;
  uint64_t messages = 0;
  uint64_t errors = 0;
};

struct Run {
  Options opt;
  Clock::time_point start, measure_from, stop;
  std::atomic<bool> done{false};
  bool measuring(Clock::time_point t) const { return t >= measure_from && t < stop; }
  Clock::duration pace() const {
    if (opt.rate <= 0) return Clock::duration::zero();
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt.connections / opt.rate));
  }
};

// What every load connection shares: sending paced by Run::pace() with at most `window`
// requests in flight, and the accounting of each reply. Derived supplies
// send() (queue one request or frame) and batched().
template <class Derived>
class PacedConn : public std::enable_shared_from_this<Derived> {
 public:
  PacedConn(net::io_context& ioc, Run& run, int id) : run_(run), timer_(ioc), source_(id, run.opt.per_conversation) {}
  Stats stats;

 protected:
  Derived& self() { return static_cast<Derived&>(*this); }

  void fill() {
    while (!run_.done && static_cast<int>(sent_.size()) < run_.opt.window) {
      const auto now = Clock::now();
      if (run_.pace() > Clock::duration::zero() && now < next_send_) {
        if (!timer_armed_) {
          timer_armed_ = true;
          timer_.expires_at(next_send_);
          timer_.async_wait([keep = this->shared_from_this()](beast::error_code) {
            keep->timer_armed_ = false;
            keep->fill();
          });
        }
        return;
      }
      next_send_ += run_.pace();
      sent_.push_back(now);
      self().send();
    }
  }

  // Accounts the reply to the oldest request in flight; false when the run is over and
  // nothing is left in flight, so the caller stops reading.
  bool on_reply(bool error) {
    const auto now = Clock::now();
    const auto t0 = sent_.front();
    sent_.pop_front();
    if (run_.measuring(now)) {
      if (error) stats.errors++;
      stats.requests++;
      stats.messages += self().batched() ? run_.opt.batch : 1;
      stats.latency_us.push_back(
          static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(now - t0).count()));
    }
    if (run_.done && sent_.empty()) return false;
    fill();
    return true;
  }

  Run& run_;
  net::steady_timer timer_;
  bool timer_armed_ = false;
  Clock::time_point next_send_;
  MessageSource source_;
  std::deque<Clock::time_point> sent_;
};

// One HTTP/1.1 keep-alive connection with `window` pipelined requests in flight.
class HttpConn : public PacedConn<HttpConn> {
 public:
  HttpConn(net::io_context& ioc, Run& run, int id) : PacedConn(ioc, run, id), socket_(ioc) {}

  void start(const tcp::endpoint& ep) {
    socket_.async_connect(ep, [self = shared_from_this()](beast::error_code ec) {
      if (ec) {
        std::fprintf(stderr, "connect: %s\n", ec.message().c_str());
        return;
      }
      self->socket_.set_option(tcp::no_delay(true));
      self->next_send_ = Clock::now();
      self->fill();
      self->read();
    });
  }

 private:
  bool batched() const { return run_.opt.mode == "http-batch"; }
  friend class PacedConn<HttpConn>;
  void send() {
    std::string body = source_.body(batched() ? run_.opt.batch : 0, true);
    auto req = std::make_shared<std::string>();
    *req = "POST " + run_.opt.path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
    if (!run_.opt.token.empty()) *req += "Authorization: Bearer " + run_.opt.token + "\r\n";
    *req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    net::async_write(socket_, net::buffer(*req), [self = shared_from_this(), req](beast::error_code ec, size_t) {
      if (ec) self->stats.errors++;
    });
  }
  void read() {
    res_.emplace();
    res_->body_limit(64 << 20);
    http::async_read(socket_, buffer_, *res_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        if (!self->run_.done) std::fprintf(stderr, "read: %s\n", ec.message().c_str());
        return;
      }
      if (self->on_reply(self->res_->get().result_int() != 200)) self->read();
    });
  }

  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> res_;
};

// One WebSocket with `window` frames in flight (Beast allows one write at a time, so
// frames queue locally).
class WsConn : public PacedConn<WsConn> {
 public:
  WsConn(net::io_context& ioc, Run& run, int id) : PacedConn(ioc, run, id), ws_(ioc) {}

  void start(const tcp::endpoint& ep) {
    ws_.next_layer().async_connect(ep, [self = shared_from_this()](beast::error_code ec) {
      if (ec) {
        std::fprintf(stderr, "connect: %s\n", ec.message().c_str());
        return;
      }
      self->ws_.next_layer().set_option(tcp::no_delay(true));
      const std::string token = self->run_.opt.token;
      self->ws_.set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
        if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
      }));
      self->ws_.read_message_max(64 << 20);
      self->ws_.async_handshake("127.0.0.1", self->run_.opt.path, [self](beast::error_code ec) {
        if (ec) {
          std::fprintf(stderr, "handshake: %s\n", ec.message().c_str());
          return;
        }
        self->next_send_ = Clock::now();
        self->fill();
        self->read();
      });
    });
  }

 private:
  bool batched() const { return run_.opt.mode == "ws-batch"; }
  friend class PacedConn<WsConn>;
  void send() {
    out_.push_back(source_.body(batched() ? run_.opt.batch : 0, false));
    if (!writing_) write();
  }
  void write() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(net::buffer(out_.front()), [self = shared_from_this()](beast::error_code ec, size_t) {
      self->writing_ = false;
      if (ec) return;
      self->out_.pop_front();
      if (!self->out_.empty()) self->write();
    });
  }
  void read() {
    buffer_.clear();
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        if (!self->run_.done) std::fprintf(stderr, "read: %s\n", ec.message().c_str());
        return;
      }
      const auto* p = static_cast<const char*>(self->buffer_.cdata().data());
      const bool error = self->buffer_.size() > 9 && std::string_view(p, 9) == R"({"error":)";
      if (self->on_reply(error)) self->read();
    });
  }

  websocket::stream<tcp::socket> ws_;
  bool writing_ = false;
  beast::flat_buffer buffer_;
  std::deque<std::string> out_;
};

// The streaming ceiling: accept WebSockets and echo every frame, one io_context per thread.
int run_echo_server(const Options& opt) {
  const int threads = std::max(1, opt.threads);
  std::vector<std::unique_ptr<net::io_context>> ctxs;
  for (int i = 0; i < threads; ++i) ctxs.push_back(std::make_unique<net::io_context>(1));
  tcp::acceptor acceptor(*ctxs[0], tcp::endpoint(net::ip::make_address(opt.host), opt.port));
  std::printf("echo server on ws://%s:%u\n", opt.host.c_str(), acceptor.local_endpoint().port());
  std::fflush(stdout);
  struct Echo : std::enable_shared_from_this<Echo> {
    explicit Echo(tcp::socket s) : ws(std::move(s)) {}
    websocket::stream<tcp::socket> ws;
    beast::flat_buffer buf;
    void start() {
      ws.read_message_max(64 << 20);
      ws.async_accept([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->read();
      });
    }
    void read() {
      ws.async_read(buf, [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec) return;
        self->ws.text(self->ws.got_text());
        self->ws.async_write(self->buf.data(), [self](beast::error_code ec, size_t) {
          if (ec) return;
          self->buf.consume(self->buf.size());
          self->read();
        });
      });
    }
  };
  std::atomic<size_t> next{0};
  std::function<void()> accept = [&] {
    acceptor.async_accept(*ctxs[next++ % ctxs.size()], [&](beast::error_code ec, tcp::socket s) {
      if (!ec) {
        s.set_option(tcp::no_delay(true));
        auto e = std::make_shared<Echo>(std::move(s));
        net::post(e->ws.get_executor(), [e] { e->start(); });
      }
      accept();
    });
  };
  accept();
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
  for (auto& c : ctxs) guards.push_back(net::make_work_guard(*c));
  std::vector<std::thread> ts;
  for (int i = 1; i < threads; ++i) ts.emplace_back([&, i] { ctxs[i]->run(); });
  ctxs[0]->run();
  for (auto& t : ts) t.join();
  return 0;
}

template <class Conn>
int run_load(Options opt) {
  Run run;
  run.opt = opt;
  net::io_context ioc(1);
  const tcp::endpoint ep(net::ip::make_address(opt.host), opt.port);
  std::vector<std::shared_ptr<Conn>> conns;
  for (int i = 0; i < opt.connections; ++i) conns.push_back(std::make_shared<Conn>(ioc, run, i));
  run.start = Clock::now();
  run.measure_from = run.start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt.warmup));
  run.stop =
      run.measure_from + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt.duration));
  for (auto& c : conns) c->start(ep);
  net::steady_timer end(ioc);
  end.expires_at(run.stop);
  end.async_wait([&](beast::error_code) {
    run.done = true;
    ioc.stop();  // replies still in flight are not counted
  });
  std::vector<std::thread> ts;
  for (int i = 1; i < opt.threads; ++i) ts.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : ts) t.join();

  Stats all;
  for (auto& c : conns) {
    all.requests += c->stats.requests;
    all.messages += c->stats.messages;
    all.errors += c->stats.errors;
    all.latency_us.insert(all.latency_us.end(), c->stats.latency_us.begin(), c->stats.latency_us.end());
  }
  std::sort(all.latency_us.begin(), all.latency_us.end());
  auto pct = [&](double p) -> double {
    if (all.latency_us.empty()) return 0;
    return all.latency_us[std::min(all.latency_us.size() - 1, static_cast<size_t>(p * all.latency_us.size()))] / 1000.0;
  };
  const double secs = opt.duration;
  nlohmann::json out = {{"mode", opt.mode},
                        {"connections", opt.connections},
                        {"window", opt.window},
                        {"batch", opt.mode.find("batch") != std::string::npos ? opt.batch : 1},
                        {"seconds", secs},
                        {"requests_per_s", all.requests / secs},
                        {"messages_per_s", all.messages / secs},
                        {"p50_ms", pct(0.50)},
                        {"p99_ms", pct(0.99)},
                        {"max_ms", all.latency_us.empty() ? 0 : all.latency_us.back() / 1000.0},
                        {"errors", all.errors}};
  if (opt.json) {
    std::cout << out.dump() << "\n";
  } else {
    std::printf(
        "%-10s conns=%d window=%d: %.0f msg/s, %.0f req/s, p50 %.3f ms, p99 %.3f ms, max %.3f ms, errors %llu\n",
        opt.mode.c_str(), opt.connections, opt.window, all.messages / secs, all.requests / secs, pct(0.5), pct(0.99),
        out["max_ms"].get<double>(), static_cast<unsigned long long>(all.errors));
  }
  return all.errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"vigil_loadgen: loopback load for vigil serve and its ceilings"};
  app.add_option("--mode", opt.mode, "http | http-batch | ws | ws-batch | echo-server")
      ->check(CLI::IsMember({"http", "http-batch", "ws", "ws-batch", "echo-server"}));
  app.add_option("--host", opt.host, "Loopback address (default 127.0.0.1)");
  app.add_option("--port", opt.port, "Port (default 8080)");
  app.add_option("--path", opt.path, "Target (default /v1/messages for HTTP, /v1/stream for WebSocket)");
  app.add_option("--token", opt.token, "Bearer token");
  app.add_option("--connections,-c", opt.connections, "Connections (default 16)");
  app.add_option("--window,-w", opt.window, "Requests or frames in flight per connection (default 1)");
  app.add_option("--batch,-b", opt.batch, "Messages per batch (default 100)");
  app.add_option("--per-conversation", opt.per_conversation,
                 "Messages per conversation before a new one starts (default 200; small values "
                 "churn state)")
      ->check(CLI::PositiveNumber);
  app.add_option("--duration,-d", opt.duration, "Measured seconds (default 5)");
  app.add_option("--warmup", opt.warmup, "Seconds before measuring (default 1)");
  app.add_option("--rate", opt.rate, "Total requests/s to pace at (default: unpaced)");
  app.add_option("--threads,-t", opt.threads, "Threads (default 1)");
  app.add_flag("--json", opt.json, "One JSON line instead of text");
  CLI11_PARSE(app, argc, argv);

  boost::system::error_code ec;
  if (!net::ip::make_address(opt.host, ec).is_loopback() || ec) {
    std::fprintf(stderr, "vigil_loadgen: loopback only (got %s)\n", opt.host.c_str());
    return 2;
  }
  if (opt.mode == "echo-server") return run_echo_server(opt);
  const bool ws = opt.mode.rfind("ws", 0) == 0;
  if (opt.path.empty()) opt.path = ws ? "/v1/stream" : "/v1/messages";
  return ws ? run_load<WsConn>(opt) : run_load<HttpConn>(opt);
}
