// A webhook receiver for the tests: a small synchronous Beast HTTP server on
// 127.0.0.1 in its own thread that records every request, checks its signature
// (HMAC-SHA256 over "timestamp.body", computed here with OpenSSL directly) and answers
// 200, or 503 while told to fail.
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vigil::server::test {

class WebhookReceiver {
 public:
  struct Event {
    std::string id;  // X-Vigil-Id
    std::string idempotency_key;
    std::string type;  // X-Vigil-Event
    std::string body;
    bool signature_ok = false;
    unsigned answered = 0;
  };

  explicit WebhookReceiver(std::string secret, uint16_t port = 0) : secret_(std::move(secret)), acceptor_(ioc_) {
    namespace net = boost::asio;
    const net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~WebhookReceiver() {
    stopping_ = true;
    boost::system::error_code ec;
    // Unblock accept() with one last connection.
    boost::asio::ip::tcp::socket poke(ioc_);
    poke.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
  }

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/vigil"; }
  void set_failing(bool failing) { failing_ = failing; }

  std::vector<Event> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  // The events answered 200, by id.
  std::map<std::string, int> accepted_ids() const {
    std::map<std::string, int> out;
    for (const Event& e : events())
      if (e.answered == 200) ++out[e.id];
    return out;
  }
  // Waits up to 10 s for at least n accepted events.
  bool wait_accepted(size_t n) const {
    for (int i = 0; i < 1000; ++i) {
      size_t got = 0;
      for (const Event& e : events()) got += e.answered == 200;
      if (got >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  static std::string hmac_hex(const std::string& key, const std::string& text) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(text.data()),
         text.size(), mac, &len);
    std::string out;
    char buf[3];
    for (unsigned int i = 0; i < len; ++i) {
      std::snprintf(buf, sizeof buf, "%02x", mac[i]);
      out += buf;
    }
    return out;
  }

 private:
  void serve() {
    namespace http = boost::beast::http;
    while (!stopping_) {
      boost::asio::ip::tcp::socket s(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec || stopping_) continue;
      boost::beast::flat_buffer buf;
      http::request<http::string_body> req;
      http::read(s, buf, req, ec);
      if (ec) continue;
      Event e;
      e.id = std::string(req["X-Vigil-Id"]);
      e.idempotency_key = std::string(req["Idempotency-Key"]);
      e.type = std::string(req["X-Vigil-Event"]);
      e.body = req.body();
      const std::string ts(req["X-Vigil-Timestamp"]);
      const long long age =
          std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
              .count() -
          std::atoll(ts.c_str());
      e.signature_ok = !ts.empty() && age >= -5 && age < 300 &&
                       std::string(req["X-Vigil-Signature"]) == "sha256=" + hmac_hex(secret_, ts + "." + e.body);
      e.answered = failing_ ? 503 : 200;
      http::response<http::string_body> res{static_cast<http::status>(e.answered), 11};
      res.body() = "{}";
      res.prepare_payload();
      res.keep_alive(false);
      {
        std::lock_guard lock(mu_);
        events_.push_back(e);
      }
      http::write(s, res, ec);
    }
  }

  std::string secret_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> failing_{false};
  mutable std::mutex mu_;
  std::vector<Event> events_;
};

}  // namespace vigil::server::test
