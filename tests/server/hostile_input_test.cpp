// Input an attacker controls must never end the process: raw bytes that are not UTF-8
// in a URL path, in a rule pack's strings and in a pack's file name are answered with
// JSON (each bad byte as U+FFFD), and the server keeps serving. Real server on
// 127.0.0.1:0, raw bytes over a socket.
#include <catch2/catch.hpp>

#include <boost/asio/read.hpp>

#include <fstream>

#include "tests/server/server_test_support.h"

using namespace vigil::server;
using namespace vigil::server::test;
using nlohmann::json;

namespace {

// Sends `wire` as is on a fresh connection and reads the one reply.
Reply raw_request(uint16_t port, const std::string& wire) {
  HttpClient c(port);
  net::write(c.socket(), net::buffer(wire));
  return c.read();
}

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

}  // namespace

TEST_CASE("a path that is not UTF-8 gets a JSON 404 and the server lives", "[server][hostile]") {
  ServerFixture f;
  Reply r = raw_request(f.port(), "GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(r.status == 404);
  CHECK(r.error_code() == "request.unknown_route");
  CHECK(r.json()["error"]["message"].get<std::string>().find("\xEF\xBF\xBD") != std::string::npos);  // U+FFFD
  HttpClient c(f.port());
  CHECK(c.get("/livez").status == 200);
}

TEST_CASE("a long unknown path is echoed clipped", "[server][hostile]") {
  ServerFixture f;
  HttpClient c(f.port());
  Reply r = c.get("/" + std::string(8000, 'a'));
  CHECK(r.status == 404);
  CHECK(r.body.size() < 1024);
}

TEST_CASE("a reload of a pack with a bad byte in a string answers 422 in JSON", "[server][hostile]") {
  ServerFixture f;
  write_file(f.rules.path() / "en" / "bad.yaml",
             "pack: bad\nlanguage: en\nrules:\n  - id: bad.\xff.rule\n    stage: access\n    weight: 0.5\n"
             "    description: x\n    patterns:\n      - regex: 'hello\xff'\n");
  HttpClient c(f.port());
  Reply r = c.post("/v1/rules/reload", "");
  CHECK(r.status == 422);
  CHECK(r.error_code() == "rules.reload_failed");
  CHECK(r.json()["errors"].size() > 0);
  CHECK(c.get("/livez").status == 200);
}

TEST_CASE("GET /v1/rules with a pack file name holding a bad byte answers in JSON", "[server][hostile]") {
  ServerFixture f;
  std::filesystem::rename(f.rules.path() / "en" / "core.yaml", f.rules.path() / "en" / "co\xffre.yaml");
  HttpClient c(f.port());
  REQUIRE(c.post("/v1/rules/reload", "").status == 200);
  Reply r = c.get("/v1/rules");
  REQUIRE(r.status == 200);
  const json body = r.json();
  bool found = false;
  for (const json& p : body["packs"]) {
    found = found || p["file"].get<std::string>().find("co\xEF\xBF\xBDre.yaml") != std::string::npos;
  }
  CHECK(found);
  CHECK(c.get("/livez").status == 200);
}

TEST_CASE("a request that is not HTTP says what is wrong with it", "[server][hostile]") {
  ServerFixture f;
  Reply r = raw_request(f.port(), "GET / HTTP/9.9\r\nHost: x\r\n\r\n");
  CHECK(r.status == 400);
  CHECK(r.error_code() == "request.bad_http");
  CHECK(r.json()["error"]["message"].get<std::string>().find("version") != std::string::npos);
}
