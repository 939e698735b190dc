// Helpers for the sidecar's integration tests: a real Server on 127.0.0.1:0 with a small
// rule set in a temporary folder, and synchronous Beast clients (HTTP and WebSocket)
// that talk to it over loopback.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "server/log.h"
#include "server/server.h"
#include "tests/plugin/engine/engine_test_support.h"

namespace vigil::server::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

using vigil::test::TempDir;  // a temporary folder that removes itself

// A rules folder for tests: the shipped stages.yaml (the scorer's parameters) with the
// rule loader's small valid test packs; fast to load and reload.
inline void write_test_rules(const std::filesystem::path& dir) {
  const std::filesystem::path src = VIGIL_SOURCE_DIR;
  std::filesystem::create_directories(dir / "en");
  std::filesystem::create_directories(dir / "zh");
  const auto over = std::filesystem::copy_options::overwrite_existing;
  std::filesystem::copy_file(src / "rules" / "stages.yaml", dir / "stages.yaml", over);
  std::filesystem::copy_file(src / "tests/fixtures/rules/valid/en/core.yaml", dir / "en" / "core.yaml", over);
  std::filesystem::copy_file(src / "tests/fixtures/rules/valid/zh/core.yaml", dir / "zh" / "core.yaml", over);
}

// A config for an in-process server: loopback port 0, test rules, state in memory,
// two io threads, quiet logs, 512 connections.
inline ServerConfig test_config(const std::filesystem::path& rules_dir) {
  ServerConfig c;
  c.host = "127.0.0.1";
  c.port = 0;
  c.rules_dir = rules_dir;
  c.data_dir = "";
  c.threads = 2;
  c.log.level = "off";
  // Well under any open-file limit (fd_limit.h), so a test never depends on ulimit -n.
  c.limits.max_connections = 512;
  return c;
}

// A running server; drains when destroyed.
class TestServer {
 public:
  explicit TestServer(ServerConfig config) {
    (void)init_logging(config.log);
    auto s = Server::create(std::move(config));
    if (!s) throw std::runtime_error("server did not start: " + vigil::to_text(s.error()));
    server_ = std::move(s).value();
    server_->start();
  }
  ~TestServer() { server_->drain(); }
  Server& operator*() { return *server_; }
  Server* operator->() { return server_.get(); }
  uint16_t port() const { return server_->port(); }

 private:
  std::unique_ptr<Server> server_;
};

// A test's server with its own rules folder; `tweak` adjusts the config first.
struct ServerFixture {
  TempDir rules;
  std::unique_ptr<TestServer> server;
  explicit ServerFixture(void (*tweak)(ServerConfig&) = nullptr) {
    write_test_rules(rules.path());
    ServerConfig c = test_config(rules.path());
    if (tweak) tweak(c);
    server = std::make_unique<TestServer>(c);
  }
  uint16_t port() const { return server->port(); }
};

// A sample's value in a /metrics text: `name` is the metric with its labels as rendered
// (`vigil_rule_hits_total{rule="x"}`); -1 when there is no such line.
inline double metric_value(const std::string& text, const std::string& name) {
  const size_t at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
}

struct Reply {
  unsigned status = 0;
  std::string body;
  http::response<http::string_body> raw;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
  std::string error_code() const { return json()["error"]["code"]; }
  std::string error_field() const { return json()["error"]["field"]; }
};

// One keep-alive HTTP/1.1 connection.
class HttpClient {
 public:
  explicit HttpClient(uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }
  Reply request(http::verb method, const std::string& target, const std::string& body = "",
                const std::string& token = "") {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (method == http::verb::post || !body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
      req.prepare_payload();
    }
    http::write(socket_, req);
    return read();
  }
  Reply get(const std::string& target, const std::string& token = "") {
    return request(http::verb::get, target, "", token);
  }
  Reply post(const std::string& target, const std::string& body, const std::string& token = "") {
    return request(http::verb::post, target, body, token);
  }
  Reply read() {
    Reply r;
    http::read(socket_, buffer_, r.raw);
    r.status = r.raw.result_int();
    r.body = r.raw.body();
    return r;
  }
  // True when the server has closed the connection (a read ends with EOF or reset).
  bool closed_by_peer() {
    beast::error_code ec;
    char c;
    socket_.read_some(net::buffer(&c, 1), ec);
    return ec == net::error::eof || ec == net::error::connection_reset;
  }
  tcp::socket& socket() { return socket_; }

 private:
  net::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

// One WebSocket to /v1/stream.
class WsClient {
 public:
  WsClient() : ws_(ioc_) {}
  // Connects and upgrades; returns 101 on success, else the HTTP status of the refusal.
  unsigned connect(uint16_t port, const std::string& token = "", int receive_buffer = 0) {
    tcp::socket& s = ws_.next_layer();
    s.open(tcp::v4());
    if (receive_buffer > 0) s.set_option(net::socket_base::receive_buffer_size(receive_buffer));
    s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    ws_.set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
      if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    }));
    websocket::response_type res;
    beast::error_code ec;
    ws_.handshake(res, "127.0.0.1", "/v1/stream", ec);
    return ec ? res.result_int() : 101;
  }
  void send(const std::string& text) {
    ws_.text(true);
    ws_.write(net::buffer(text));
  }
  std::string read() {
    beast::flat_buffer b;
    ws_.read(b);
    return beast::buffers_to_string(b.data());
  }
  // Reads (and discards) frames until the server closes; returns its close code, or 0
  // when the connection ended without a close frame.
  int read_until_close(size_t* frames = nullptr) {
    beast::error_code ec;
    size_t n = 0;
    for (;;) {
      beast::flat_buffer b;
      ws_.read(b, ec);
      if (ec) break;
      ++n;
    }
    if (frames) *frames = n;
    last_error_ = ec.message();
    // The reason is set once a close frame arrived, even if the TCP teardown after it
    // failed (the server may reset a socket that still holds unread bytes).
    return static_cast<int>(ws_.reason().code);
  }
  const std::string& last_error() const { return last_error_; }
  std::string close_reason() const { return std::string(ws_.reason().reason.c_str()); }
  websocket::stream<tcp::socket>& stream() { return ws_; }

 private:
  net::io_context ioc_;
  websocket::stream<tcp::socket> ws_;
  std::string last_error_;
};

// Waits (up to 5 s) for a condition another thread makes true, e.g. a counter that the
// server bumps after the client has already seen the reply.
template <class F>
bool eventually(F&& f) {
  for (int i = 0; i < 500; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return f();
}

// A message in the API's JSON.
inline nlohmann::json message(const std::string& conv, const std::string& id, const std::string& sender,
                              const std::string& text) {
  return {{"conversation_id", conv}, {"message_id", id}, {"sender_id", sender}, {"text", text}};
}

}  // namespace vigil::server::test
