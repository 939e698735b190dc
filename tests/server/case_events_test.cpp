// GET /v1/cases/events: the server-sent event stream the console's queue listens to,
// against a real server with a real SQLite case store. Every wait is bounded.
#include <catch2/catch.hpp>

#include <chrono>

#include "tests/server/case_test_support.h"

using namespace vigil::server;
using namespace vigil::server::test;
using nlohmann::json;

namespace {

// One raw connection reading the stream; reads are bounded by run_for.
class EventClient {
 public:
  explicit EventClient(uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }
  void request(const std::string& token) {
    const std::string req =
        "GET /v1/cases/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        "Authorization: Bearer " +
        token + "\r\n\r\n";
    net::write(socket_, net::buffer(req));
  }
  // Reads until `needle` is in what arrived after `from`; returns its position or npos.
  size_t wait_for(std::string_view needle, size_t from = 0,
                  std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      const size_t at = data_.find(needle, from);
      if (at != std::string::npos) return at;
      if (eof_ || std::chrono::steady_clock::now() >= deadline) return std::string::npos;
      read_some(deadline);
    }
  }
  // True when the server closes the stream before `limit`.
  bool wait_closed(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!eof_ && std::chrono::steady_clock::now() < deadline) read_some(deadline);
    return eof_;
  }
  const std::string& data() const { return data_; }

 private:
  void read_some(std::chrono::steady_clock::time_point deadline) {
    std::array<char, 4096> buf;
    bool done = false;
    socket_.async_read_some(net::buffer(buf), [&](beast::error_code ec, size_t n) {
      done = true;
      if (ec) eof_ = true;
      data_.append(buf.data(), n);
    });
    ioc_.restart();
    ioc_.run_until(deadline);
    if (!done) {
      socket_.cancel();
      ioc_.restart();
      ioc_.run();
    }
  }
  net::io_context ioc_;
  tcp::socket socket_;
  std::string data_;
  bool eof_ = false;
};

// The JSON of the first `event: case` frame at or after `from` whose data has `type`.
json event_of_type(const std::string& stream, const std::string& type, size_t from = 0) {
  for (size_t at = stream.find("event: case\ndata: ", from); at != std::string::npos;
       at = stream.find("event: case\ndata: ", at + 1)) {
    const size_t start = at + std::string_view("event: case\ndata: ").size();
    json j = json::parse(stream.substr(start, stream.find('\n', start) - start));
    if (j["type"] == type) return j;
  }
  return json();
}

}  // namespace

TEST_CASE("the event stream reports a case when it opens and when it is decided", "[server][cases][events]") {
  CaseFixture f;
  EventClient events(f.port());
  events.request(kAlice);
  REQUIRE(events.wait_for("retry: 2000\n\n") != std::string::npos);
  const std::string& head = events.data();
  CHECK(head.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(head.find("Content-Type: text/event-stream") != std::string::npos);
  CHECK(head.find("Cache-Control: no-store") != std::string::npos);

  HttpClient c(f.port());
  for (const json& m : grooming("c-events")) REQUIRE(c.post("/v1/messages", m.dump(), kIngest).status == 200);
  const std::string id = c.get("/v1/cases", kAlice).json()["cases"][0]["id"];

  const size_t after_head = head.size();
  REQUIRE(events.wait_for("\"case.opened\"", after_head) != std::string::npos);
  json opened = event_of_type(events.data(), "case.opened", after_head);
  CHECK(opened["id"] == id);
  CHECK(opened["conversation_id"] == "c-events");
  CHECK(opened["status"] == "open");
  // A hint, never content: no message text in the stream.
  CHECK(events.data().find("parents") == std::string::npos);

  const size_t before = events.data().size();
  Reply d = c.post("/v1/cases/" + id + "/decision", R"({"decision":"dismiss","reason":"false_positive"})", kAlice);
  REQUIRE(d.status == 200);
  REQUIRE(events.wait_for("\"dismissed\"", before) != std::string::npos);
  CHECK(event_of_type(events.data(), "case.updated", before)["id"] == id);
}

TEST_CASE("the event stream needs a moderate token", "[server][cases][events]") {
  CaseFixture f;
  HttpClient c(f.port());
  CHECK(c.get("/v1/cases/events").status == 401);
  CHECK(c.get("/v1/cases/events", "not-a-token").status == 401);
  CHECK(c.get("/v1/cases/events", kIngest).status == 403);
}

TEST_CASE("drain closes open event streams", "[server][cases][events]") {
  CaseFixture f;
  EventClient a(f.port());
  EventClient b(f.port());
  a.request(kAlice);
  b.request(kBob);
  REQUIRE(a.wait_for("retry: 2000") != std::string::npos);
  REQUIRE(b.wait_for("retry: 2000") != std::string::npos);
  CHECK((*f.server)->drain());  // every session (the streams too) closed before the deadline
  CHECK(a.wait_closed(std::chrono::seconds(5)));
  CHECK(b.wait_closed(std::chrono::seconds(5)));
}
