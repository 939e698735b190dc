// POST /v1/messages and the other HTTP routes, against a real server on 127.0.0.1:0.
#include <catch2/catch.hpp>

#include <boost/asio/read_until.hpp>

#include <thread>

#include "tests/cli/cli_run.h"
#include "tests/server/server_test_support.h"

using namespace vigil::server;
using namespace vigil::server::test;
using nlohmann::json;

using Fixture = ServerFixture;

TEST_CASE("a batch is answered with its verdicts in input order", "[server][http]") {
  Fixture f;
  HttpClient c(f.port());
  json batch = {{"messages", json::array()}};
  for (int i = 0; i < 20; ++i) {
    batch["messages"].push_back(message("c-order-" + std::to_string(i % 3), "m-" + std::to_string(i), "u-a",
                                        i % 2 ? "dont tell your parents" : "hello there"));
  }
  Reply r = c.post("/v1/messages", batch.dump());
  REQUIRE(r.status == 200);
  json verdicts = r.json()["verdicts"];
  REQUIRE(verdicts.size() == 20);
  for (int i = 0; i < 20; ++i) {
    CHECK(verdicts[i]["message_id"] == "m-" + std::to_string(i));
    CHECK(verdicts[i]["conversation_id"] == "c-order-" + std::to_string(i % 3));
  }
  CHECK(verdicts[1]["hits"][0]["stage"] == "secrecy");
  CHECK(verdicts[0]["hits"].empty());
}

TEST_CASE("one message gets one verdict; a repeat gets the first verdict and is scored once", "[server][http]") {
  Fixture f;
  HttpClient c(f.port());
  const std::string m = message("c-rep", "m-1", "u-a", "are your parents home? dont tell your parents").dump();
  Reply first = c.post("/v1/messages", m);
  REQUIRE(first.status == 200);
  Reply again = c.post("/v1/messages", m);
  REQUIRE(again.status == 200);
  CHECK(first.json()["risk"] == again.json()["risk"]);
  CHECK(first.json()["level"] == again.json()["level"]);
  CHECK(again.json().value("duplicate", false));
  CHECK((*f.server)->metrics().messages() == 1);
  Reply conv = c.get("/v1/conversations/c-rep");
  REQUIRE(conv.status == 200);
  CHECK(conv.json()["messages"] == 1);
}

TEST_CASE("every bad request gets the error shape with its status, code and field", "[server][http]") {
  Fixture f([](ServerConfig& c) {
    c.limits.max_batch = 5;
    c.limits.max_text_bytes = 100;
    c.limits.max_body_bytes = 4096;
  });
  HttpClient c(f.port());
  const json good = message("c-err", "m-1", "u-a", "hi");
  json wrong_type = good;
  wrong_type["conversation_id"] = 17;
  json unknown = good;
  unknown["colour"] = "red";
  json missing = good;
  missing.erase("text");
  json too_long = good;
  too_long["text"] = std::string(101, 'a');
  json big_batch = {{"messages", json::array()}};
  for (int i = 0; i < 6; ++i) big_batch["messages"].push_back(good);
  json bad_item = {{"messages", {good, good, too_long}}};
  std::string bad_utf8 =
      R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"ab)" + std::string("\xC3\x28") + "\"}";

  struct Case {
    const char* name;
    std::string body;
    unsigned status;
    const char* code;
    const char* field;
  } cases[] = {
      {"malformed JSON", R"({"conversation_id": )", 400, "request.malformed_json", "conversation_id"},
      {"wrong type", wrong_type.dump(), 400, "message.bad_type", "conversation_id"},
      {"unknown field", unknown.dump(), 400, "message.unknown_field", "colour"},
      {"missing field", missing.dump(), 400, "message.missing_field", "text"},
      {"invalid UTF-8", bad_utf8, 400, "message.invalid_utf8", "text"},
      {"text too long", too_long.dump(), 400, "message.text_too_long", "text"},
      {"batch too large", big_batch.dump(), 413, "request.batch_too_large", "messages"},
      {"bad batch item", bad_item.dump(), 400, "message.text_too_long", "messages[2].text"},
      {"not an object", "42", 400, "message.not_object", ""},
  };
  for (const Case& k : cases) {
    SECTION(k.name) {
      Reply r = c.post("/v1/messages", k.body);
      CHECK(r.status == k.status);
      CHECK(r.error_code() == k.code);
      CHECK(r.error_field() == k.field);
      CHECK(r.json()["error"]["message"].get<std::string>().size() > 0);
    }
  }
  SECTION("nothing of a refused batch is scored") {
    Reply r = c.post("/v1/messages", bad_item.dump());
    CHECK(r.status == 400);
    CHECK((*f.server)->metrics().messages() == 0);
    CHECK(c.get("/v1/conversations/c-err").status == 404);
  }
  SECTION("a body over max_body_bytes gets 413 and the connection closes") {
    Reply r = c.post("/v1/messages", std::string(5000, ' '));
    CHECK(r.status == 413);
    CHECK(r.error_code() == "request.body_too_large");
    CHECK(c.closed_by_peer());
  }
  SECTION("unknown route 404") {
    Reply r = c.get("/v1/nothing");
    CHECK(r.status == 404);
    CHECK(r.error_code() == "request.unknown_route");
  }
  SECTION("wrong method 405 with Allow") {
    Reply r = c.get("/v1/messages");
    CHECK(r.status == 405);
    CHECK(r.error_code() == "request.method_not_allowed");
    CHECK(r.raw[http::field::allow] == "POST");
  }
  SECTION("unknown conversation 404") {
    Reply r = c.get("/v1/conversations/never-seen");
    CHECK(r.status == 404);
    CHECK(r.error_code() == "conversation.not_found");
  }
  SECTION("errors are counted by code") {
    c.post("/v1/messages", R"({)");
    c.post("/v1/messages", R"({)");
    CHECK((*f.server)->metrics().errors("request.malformed_json") == 2);
  }
}

TEST_CASE("tokens and scopes decide who may call what", "[server][http][auth]") {
  Fixture f([](ServerConfig& c) {
    c.tokens = {Token{"ingest-secret-16b", "chat", kScopeIngest},
                Token{"mod-secret-16bytes", "console", kScopeModerate}, Token{"admin-secret-16by", "ops", kScopeAdmin}};
  });
  HttpClient c(f.port());
  const std::string m = message("c-auth", "m-1", "u-a", "hi").dump();
  SECTION("no token: 401") {
    Reply r = c.post("/v1/messages", m);
    CHECK(r.status == 401);
    CHECK(r.error_code() == "auth.missing_token");
    CHECK(r.raw[http::field::www_authenticate] == "Bearer");
  }
  SECTION("unknown token: 401") {
    Reply r = c.post("/v1/messages", m, "guess");
    CHECK(r.status == 401);
    CHECK(r.error_code() == "auth.unknown_token");
  }
  SECTION("wrong scope: 403") {
    CHECK(c.post("/v1/messages", m, "mod-secret-16bytes").status == 403);
    CHECK(c.get("/v1/rules", "ingest-secret-16b").status == 403);
    Reply r = c.get("/v1/conversations/c-auth", "ingest-secret-16b");
    CHECK(r.status == 403);
    CHECK(r.error_code() == "auth.forbidden");
  }
  SECTION("the right scope passes") {
    CHECK(c.post("/v1/messages", m, "ingest-secret-16b").status == 200);
    CHECK(c.get("/v1/conversations/c-auth", "mod-secret-16bytes").status == 200);
    CHECK(c.post("/v1/explain", R"({"text":"dont tell your parents"})", "mod-secret-16bytes").status == 200);
    CHECK(c.get("/v1/rules", "admin-secret-16by").status == 200);
  }
  SECTION("health is open; /metrics is open to a loopback peer") {
    CHECK(c.get("/livez").status == 200);
    CHECK(c.get("/healthz").status == 200);
    CHECK(c.get("/readyz").status == 200);
    CHECK(c.get("/metrics").status == 200);
  }
  SECTION("nothing refused was scored") {
    c.post("/v1/messages", m);
    c.post("/v1/messages", m, "mod-secret-16bytes");
    CHECK((*f.server)->metrics().messages() == 0);
  }
}

TEST_CASE("POST /v1/explain and vigil explain --json give the same JSON for the same text", "[server][http]") {
  Fixture f;
  HttpClient c(f.port());
  // A disguised secrecy ask, a disclosed age (a capture), a shadow rule, Chinese, nothing.
  for (const char* text : {"OK, d0nt t3ll ur p4rents. im 13", "we should meet irl", "加个vx", "hello there"}) {
    INFO(text);
    const Reply server = c.post("/v1/explain", json{{"text", text}}.dump());
    REQUIRE(server.status == 200);
    const auto cli = vigil::test::run_vigil("explain --json --rules '" + f.rules.path().string() + "' '" + text + "'");
    REQUIRE(cli.exit_code == 0);
    CHECK(json::parse(cli.out) == server.json());
  }
  // The texts reach what the forms used to disagree on.
  const json e = c.post("/v1/explain", R"({"text":"we should meet irl, im 13"})").json();
  REQUIRE(e["hits"].size() == 2);
  CHECK(e["hits"][0]["shadow"] == true);
  CHECK(e["hits"][0]["description"].get<std::string>().size() > 0);
  CHECK(e["hits"][1]["captures"]["age"]["text"] == "13");
  CHECK(e["hits"][1]["norm_end"].get<int>() > 0);
}

TEST_CASE("explain, rules, health and metrics answer", "[server][http]") {
  Fixture f;
  HttpClient c(f.port());
  Reply e = c.post("/v1/explain", R"({"text":"d0nt t3ll ur p4rents"})");
  REQUIRE(e.status == 200);
  CHECK(e.json()["normalized"] == "dont tell ur parents");
  REQUIRE(e.json()["hits"].size() == 1);
  CHECK(e.json()["hits"][0]["stage"] == "secrecy");
  CHECK(e.json()["hits"][0]["start"] == 0);
  CHECK(e.json()["hits"][0]["end"] == 20);
  CHECK(c.post("/v1/explain", R"({"txt":"x"})").error_code() == "message.unknown_field");

  Reply rules = c.get("/v1/rules");
  REQUIRE(rules.status == 200);
  CHECK(rules.json()["rules"].get<int>() > 0);
  CHECK(rules.json()["packs"].size() == 2);
  CHECK(c.get("/readyz").json()["rules_version"] == rules.json()["version"]);

  c.post("/v1/messages",
         json{{"messages", {message("c-m", "1", "u", "dont tell your parents"), message("c-m", "2", "u", "hello")}}}
             .dump());
  c.post("/v1/messages", "{");
  Reply m = c.get("/metrics");
  REQUIRE(m.status == 200);
  CHECK(m.raw[http::field::content_type].find("text/plain") == 0);
  CHECK(m.body.find("vigil_messages_total 2\n") != std::string::npos);
  CHECK(m.body.find("vigil_hits_total{stage=\"secrecy\"} 1\n") != std::string::npos);
  CHECK(m.body.find("vigil_errors_total{code=\"request.malformed_json\"} 1\n") != std::string::npos);
  CHECK(m.body.find("vigil_request_duration_seconds_count{route=\"messages\"} 2\n") != std::string::npos);
  CHECK(m.body.find("vigil_conversations_tracked 1\n") != std::string::npos);
  CHECK(m.body.find("vigil_open_connections{kind=\"http\"} 1\n") != std::string::npos);
  CHECK(m.body.find("vigil_rules_info{version=\"" + rules.json()["version"].get<std::string>() + "\"} 1") !=
        std::string::npos);
  CHECK(m.body.find("c-m") == std::string::npos);  // no ids as labels
}

TEST_CASE("pipelined requests are answered in order on one connection", "[server][http]") {
  Fixture f;
  HttpClient c(f.port());
  std::string wire;
  for (int i = 0; i < 10; ++i) {
    const std::string body = message("c-pipe", "m-" + std::to_string(i), "u", "hello").dump();
    wire +=
        "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  net::write(c.socket(), net::buffer(wire));
  for (int i = 0; i < 10; ++i) {
    Reply r = c.read();
    REQUIRE(r.status == 200);
    CHECK(r.json()["message_id"] == "m-" + std::to_string(i));
  }
}

TEST_CASE("a client that vanishes mid-request does not disturb others", "[server][http]") {
  Fixture f([](ServerConfig& c) { c.limits.header_timeout = std::chrono::milliseconds(200); });
  {
    HttpClient gone(f.port());
    const std::string partial = "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"conv";
    net::write(gone.socket(), net::buffer(partial));
  }  // closed half way through the body
  HttpClient slow(f.port());
  net::write(slow.socket(), net::buffer(std::string("POST /v1/mess")));  // a header that never ends

  HttpClient ok(f.port());
  for (int i = 0; i < 5; ++i) {
    CHECK(ok.post("/v1/messages", message("c-ok", std::to_string(i), "u", "hi").dump()).status == 200);
  }
  // The slow header is cut after header_timeout; the server keeps serving.
  CHECK(slow.closed_by_peer());
  CHECK(ok.get("/livez").status == 200);
  CHECK((*f.server)->metrics().errors("request.timeout") == 1);
}

TEST_CASE("connections past max_connections get 429", "[server][http]") {
  Fixture f([](ServerConfig& c) { c.limits.max_connections = 2; });
  HttpClient a(f.port());
  HttpClient b(f.port());
  REQUIRE(a.get("/livez").status == 200);  // both sessions are open on the server now
  REQUIRE(b.get("/livez").status == 200);
  HttpClient c(f.port());
  Reply r = c.read();
  CHECK(r.status == 429);
  CHECK(r.error_code() == "limit.connections");
}

TEST_CASE("without tokens the server refuses a non-loopback address", "[server][config]") {
  TempDir rules;
  write_test_rules(rules.path());
  ServerConfig c = test_config(rules.path());
  c.host = "0.0.0.0";
  auto s = Server::create(c);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error()[0].code == "config.open_listen");
  c.tokens = {Token{"t0k3n-for-tests-16", "t", kScopeIngest}};
  CHECK(validate(c).ok());
}

TEST_CASE("Expect: 100-continue is answered before the body is sent", "[server][http]") {
  Fixture f;
  HttpClient c(f.port());
  const std::string body = json{{"messages", {message("c-100", "1", "u", std::string(2000, 'a'))}}}.dump();
  const std::string head = "POST /v1/messages HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n";
  net::write(c.socket(), net::buffer(head));
  std::string interim;
  net::read_until(c.socket(), net::dynamic_buffer(interim), "\r\n\r\n");
  CHECK(interim == "HTTP/1.1 100 Continue\r\n\r\n");
  net::write(c.socket(), net::buffer(body));
  Reply r = c.read();
  CHECK(r.status == 200);
  CHECK(r.json()["verdicts"][0]["message_id"] == "1");
}
