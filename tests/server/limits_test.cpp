// Memory a client can make the server spend, and the open-file limit: a refused
// request's body is never read; request bodies in flight across all connections stay
// under limits.max_body_bytes_in_flight; deep JSON is refused at once with a small
// error; a too-low `ulimit -n` is raised at start or refused naming both numbers.
// Real server on 127.0.0.1:0 (and `vigil serve` as a subprocess for the fd limit).
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include "tests/server/serve_process.h"
#include "tests/server/server_test_support.h"

using namespace vigil::server;
using namespace vigil::server::test;
using nlohmann::json;

namespace {

constexpr size_t kBig = 4u << 20;  // the default max_body_bytes

void with_tokens(ServerConfig& c) {
  c.tokens = {Token{"ingest-secret-16b", "chat", kScopeIngest}, Token{"mod-secret-16bytes", "console", kScopeModerate}};
}

// A request header announcing a body of `length` bytes, sent without the body.
std::string header(const std::string& token, size_t length, const std::string& target = "/v1/messages") {
  std::string h = "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
  if (!token.empty()) h += "Authorization: Bearer " + token + "\r\n";
  return h + "Content-Length: " + std::to_string(length) + "\r\n\r\n";
}

// A valid message after JSON whitespace, `size` bytes in all (the whitespace first, so
// a client can send the first KiB before the message).
std::string padded_message(const std::string& id, size_t size) {
  const std::string m = message("c-big", id, "u-a", "hello").dump();
  return std::string(size - m.size(), ' ') + m;
}

}  // namespace

TEST_CASE("401 and 403 are sent on the header, the large body is never read, the connection closes",
          "[server][limits][auth]") {
  ServerFixture f(with_tokens);
  ServerContext& ctx = (*f.server)->context();
  struct Case {
    const char* name;
    std::string token;
    unsigned status;
    const char* code;
  } cases[] = {{"no token", "", 401, "auth.missing_token"},
               {"unknown token", "guess", 401, "auth.unknown_token"},
               {"wrong scope", "mod-secret-16bytes", 403, "auth.forbidden"}};
  for (const Case& k : cases) {
    INFO(k.name);
    HttpClient c(f.port());
    net::write(c.socket(), net::buffer(header(k.token, kBig) + std::string(1000, ' ')));
    Reply r = c.read();
    CHECK(r.status == k.status);
    CHECK(r.error_code() == k.code);
    CHECK(r.raw[http::field::connection] == "close");
    CHECK(c.closed_by_peer());
  }
  CHECK(ctx.bodies.peak() == 0);  // no body was ever reserved, let alone read
  CHECK((*f.server)->metrics().messages() == 0);
  // A refused request whose small body came with it keeps its connection.
  HttpClient keep(f.port());
  CHECK(keep.post("/v1/messages", message("c", "1", "u", "hi").dump()).status == 401);
  CHECK(keep.post("/v1/messages", message("c", "1", "u", "hi").dump(), "ingest-secret-16b").status == 200);
}

TEST_CASE("request bodies in flight stay under max_body_bytes_in_flight across many connections", "[server][limits]") {
  ServerFixture f([](ServerConfig& c) {
    with_tokens(c);
    c.limits.max_body_bytes_in_flight = 2 * kBig;
  });
  ServerContext& ctx = (*f.server)->context();
  constexpr int kClients = 40;
  std::vector<std::unique_ptr<HttpClient>> authed, anonymous;
  for (int i = 0; i < kClients; ++i) {
    authed.push_back(std::make_unique<HttpClient>(f.port()));
    anonymous.push_back(std::make_unique<HttpClient>(f.port()));
    // A header and the first KiB of a 4 MiB body each; the rest is held back.
    net::write(authed.back()->socket(), net::buffer(header("ingest-secret-16b", kBig) + std::string(1024, ' ')));
    net::write(anonymous.back()->socket(), net::buffer(header("", kBig) + std::string(1024, ' ')));
  }
  for (auto& c : anonymous) CHECK(c->read().status == 401);
  // Two bodies fit; every other authorised client is told the server is busy.
  REQUIRE(eventually([&] { return (*f.server)->metrics().errors("server.busy") == kClients - 2; }));
  CHECK(ctx.bodies.in_flight() == 2 * kBig);
  CHECK(ctx.bodies.peak() <= 2 * kBig);
  std::vector<size_t> waiting;
  for (size_t i = 0; i < authed.size(); ++i) {
    beast::error_code ec;
    authed[i]->socket().non_blocking(true);
    char c;
    const size_t n = authed[i]->socket().read_some(net::buffer(&c, 1), ec);
    authed[i]->socket().non_blocking(false);
    if (ec == net::error::would_block) {
      waiting.push_back(i);
    } else {
      CHECK(n == 1);  // the first byte of "HTTP/1.1 503 ..."
    }
  }
  REQUIRE(waiting.size() == 2);
  Reply metrics = HttpClient(f.port()).get("/metrics");
  CHECK(metrics.body.find("vigil_request_body_bytes_in_flight " + std::to_string(2 * kBig) + "\n") !=
        std::string::npos);
  // The two admitted bodies complete and are answered; the budget empties.
  for (size_t k = 0; k < waiting.size(); ++k) {
    HttpClient& c = *authed[waiting[k]];
    const std::string body = padded_message("m-" + std::to_string(k), kBig);
    net::write(c.socket(), net::buffer(body.data() + 1024, body.size() - 1024));
    CHECK(c.read().status == 200);
  }
  CHECK(eventually([&] { return ctx.bodies.in_flight() == 0; }));
  CHECK(ctx.bodies.peak() <= 2 * kBig);
  HttpClient after(f.port());
  CHECK(after.post("/v1/messages", padded_message("m-after", kBig), "ingest-secret-16b").status == 200);
}

TEST_CASE("4 MiB of '[' is refused at once with a small request.too_deep", "[server][limits]") {
  ServerFixture f;
  HttpClient c(f.port());
  for (const char* target : {"/v1/messages", "/v1/explain"}) {
    INFO(target);
    Reply r = c.post(target, std::string(kBig - 1, '['));
    CHECK(r.status == 400);
    CHECK(r.error_code() == "request.too_deep");
    CHECK(r.body.size() < 512);
  }
  // A 1 MiB unknown key is echoed clipped.
  json m = message("c", "m", "u", "hi");
  m[std::string(1 << 20, 'k')] = 1;
  Reply r = c.post("/v1/messages", m.dump());
  CHECK(r.error_code() == "message.unknown_field");
  CHECK(r.body.size() < 1024);
  // The NUL and control-character checks reach the API with their field.
  m = message("c", "m", std::string("u\0v", 3), "hi");
  r = c.post("/v1/messages", m.dump());
  CHECK(r.status == 400);
  CHECK(r.error_code() == "message.id_control_char");
  CHECK(r.error_field() == "sender_id");
  m = message("c", "m", "u", std::string("hi\0there", 8));
  r = c.post("/v1/messages", m.dump());
  CHECK(r.error_code() == "message.text_nul");
  CHECK(r.error_field() == "text");
}

TEST_CASE(
    "a soft open-file limit below max_connections is raised at start; a hard one refuses the "
    "config",
    "[server][limits][process]") {
  TempDir rules;
  write_test_rules(rules.path());
  const std::string conns = " VIGIL_LIMITS_MAX_CONNECTIONS=1000";
  {
    // Soft 200, hard left as it is: raised to what 1000 connections need.
    ServeProcess raised("ulimit -S -n 200 &&" + conns, rules.path().string(), "--threads 1");
    INFO(raised.output());
    REQUIRE(raised.port() != 0);
    std::ifstream in("/proc/" + std::to_string(raised.pid()) + "/limits");
    const std::string limits((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(limits.find("Max open files            1129 ") != std::string::npos);
    CHECK(raised.output().find("fd_limit_raised") != std::string::npos);
    CHECK(raised.stop() == 0);
  }
  // Soft and hard 200: refused before listening, naming both numbers.
  ServeProcess refused("ulimit -n 200 &&" + conns, rules.path().string(), "--threads 1");
  INFO(refused.output());
  CHECK(refused.port() == 0);
  CHECK(refused.exit_code() == 1);
  CHECK(refused.output().find("config.fd_limit") != std::string::npos);
  CHECK(refused.output().find("needs 1129 open files, but the limit is 200 (hard limit 200)") != std::string::npos);
}
