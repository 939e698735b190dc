// Access, route by route: every route of the router's table against no token, a token
// the server does not know, and a token of each scope, over a real socket. The expected
// outcome of each route is written here, not read from the router, and every route of
// route_table() must have a row: a new route without one fails this test.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <string_view>
#include <vector>

#include "server/router.h"
#include "tests/server/server_test_support.h"

using namespace vigil::server;
using namespace vigil::server::test;
using nlohmann::json;

namespace {

// Who may call a route, as the API documents it (server/README.md, Auth).
enum class Who { kAnyone, kLoopbackOrMetrics, kIngest, kModerate, kAdmin };

struct Row {
  std::string_view path;  // as in the table (a prefix ends with '/')
  http::verb method;
  Who who;
  std::string target;  // what to request
  std::string body;    // a valid body, so an allowed call succeeds
  unsigned ok = 200;   // the status of an allowed call
};

const std::vector<Row>& rows() {
  static const std::vector<Row> r = {
      {"/livez", http::verb::get, Who::kAnyone, "/livez", ""},
      {"/healthz", http::verb::get, Who::kAnyone, "/healthz", ""},
      {"/readyz", http::verb::get, Who::kAnyone, "/readyz", ""},
      {"/metrics", http::verb::get, Who::kLoopbackOrMetrics, "/metrics", ""},
      {"/v1/messages", http::verb::post, Who::kIngest, "/v1/messages",
       message("c-access", "m-1", "u-a", "hello").dump()},
      {"/v1/stream", http::verb::get, Who::kIngest, "/v1/stream", ""},  // a WebSocket upgrade
      {"/v1/conversations/", http::verb::get, Who::kModerate, "/v1/conversations/c-seed", ""},
      {"/v1/conversations/", http::verb::delete_, Who::kAdmin, "/v1/conversations/c-none", "", 0},
      {"/v1/cases", http::verb::get, Who::kModerate, "/v1/cases", "", 0},
      {"/v1/cases/events", http::verb::get, Who::kModerate, "/v1/cases/events", "", 0},  // a stream
      {"/v1/cases/", http::verb::get, Who::kModerate, "/v1/cases/x", "", 0},
      {"/v1/cases/", http::verb::post, Who::kModerate, "/v1/cases/x", "", 0},
      {"/v1/audit", http::verb::get, Who::kAdmin, "/v1/audit", "", 0},
      {"/v1/console/settings", http::verb::get, Who::kModerate, "/v1/console/settings", "", 0},
      {"/v1/explain", http::verb::post, Who::kModerate, "/v1/explain", R"({"text":"dont tell your parents"})"},
      {"/v1/rules", http::verb::get, Who::kAdmin, "/v1/rules", ""},
      {"/v1/rules/reload", http::verb::post, Who::kAdmin, "/v1/rules/reload", ""},
      {"/console", http::verb::get, Who::kAnyone, "/console", "", 308},  // to /console/
      {"/console/", http::verb::get, Who::kAnyone, "/console/", ""},
  };
  return r;
}

struct Caller {
  const char* name;
  std::string token;  // "" sends no Authorization header
  Scope scope;        // kScopeNone for no token and for an unknown one
};

const Caller kCallers[] = {
    {"no token", "", kScopeNone},
    {"unknown token", "not-a-token-of-this-server", kScopeNone},
    {"ingest", "ingest-secret-16b", kScopeIngest},
    {"moderate", "mod-secret-16bytes", kScopeModerate},
    {"admin", "admin-secret-16by", kScopeAdmin},
    {"metrics", "metrics-secret-16b", kScopeMetrics},
};

unsigned expected(Who who, const Caller& c, bool loopback, unsigned ok = 200) {
  const Scope needs = who == Who::kIngest              ? kScopeIngest
                      : who == Who::kModerate          ? kScopeModerate
                      : who == Who::kLoopbackOrMetrics ? kScopeMetrics
                                                       : kScopeAdmin;
  if (who == Who::kAnyone) return ok;
  if (who == Who::kLoopbackOrMetrics && loopback) return ok;
  if (c.token.empty() || c.scope == kScopeNone) return 401;
  return c.scope == needs ? ok : 403;
}

}  // namespace

TEST_CASE("every route of the router's table has a row here, and every row a route", "[server][auth][access]") {
  for (const RouteEntry& e : route_table()) {
    INFO(e.path << " " << http::to_string(e.method));
    bool found = false;
    for (const Row& r : rows()) found = found || (r.path == e.path && r.method == e.method);
    CHECK(found);  // add the new route's row to rows() with who may call it
  }
  for (const Row& r : rows()) {
    INFO(r.path);
    bool found = false;
    for (const RouteEntry& e : route_table()) found = found || (r.path == e.path && r.method == e.method);
    CHECK(found);
  }
}

TEST_CASE("every route against every scope, no token and a wrong token", "[server][auth][access]") {
  ServerFixture f([](ServerConfig& c) {
    c.tokens = {Token{"ingest-secret-16b", "chat", kScopeIngest},
                Token{"mod-secret-16bytes", "console", kScopeModerate}, Token{"admin-secret-16by", "ops", kScopeAdmin},
                Token{"metrics-secret-16b", "scraper", kScopeMetrics}};
  });
  {
    HttpClient seed(f.port());
    REQUIRE(seed.post("/v1/messages", message("c-seed", "m-0", "u-a", "hi").dump(), "ingest-secret-16b").status == 200);
  }
  const uint64_t scored_before = (*f.server)->metrics().messages();
  uint64_t allowed_messages = 0;
  for (const Row& row : rows()) {
    for (const Caller& caller : kCallers) {
      INFO(http::to_string(row.method) << " " << row.target << " with " << caller.name);
      const unsigned want = expected(row.who, caller, true, row.ok == 0 ? 200 : row.ok);
      if (row.ok == 0) {  // on the header alone, as the session checks it before any body
        Request req;
        req.method = row.method;
        req.path = row.target;
        const std::string auth = "Bearer " + caller.token;
        if (!caller.token.empty()) req.authorization = auth;
        req.loopback_peer = true;
        Route route;
        std::optional<Response> refused = check_header((*f.server)->context(), req, route);
        CHECK((refused ? refused->status : 200u) == want);
        continue;
      }
      if (row.path == "/v1/stream") {
        WsClient ws;
        CHECK(ws.connect(f.port(), caller.token) == (want == 200 ? 101u : want));
        continue;
      }
      HttpClient c(f.port());
      Reply r = c.request(row.method, row.target, row.body, caller.token);
      CHECK(r.status == want);
      if (want == 401) CHECK(r.error_code().rfind("auth.", 0) == 0);
      if (want == 403) CHECK(r.error_code() == "auth.forbidden");
      if (want == row.ok && row.path == "/v1/messages") ++allowed_messages;
    }
  }
  // Nothing refused was scored: only the allowed posts (the first; later ones repeat it).
  CHECK((*f.server)->metrics().messages() - scored_before == std::min<uint64_t>(allowed_messages, 1));

  // /metrics from a peer that is not loopback needs the metrics scope (checked on the header alone).
  for (const Caller& caller : kCallers) {
    INFO("/metrics from afar with " << caller.name);
    Request req;
    req.method = http::verb::get;
    req.path = "/metrics";
    const std::string header = "Bearer " + caller.token;
    if (!caller.token.empty()) req.authorization = header;
    req.loopback_peer = false;
    Route route;
    std::optional<Response> refused = check_header((*f.server)->context(), req, route);
    const unsigned want = expected(Who::kLoopbackOrMetrics, caller, false);
    CHECK((refused ? refused->status : 200u) == want);
  }
}

TEST_CASE("refused requests and reloads are logged at info with the route and the token's name, never its secret",
          "[server][auth][log]") {
  TempDir logs;
  const std::filesystem::path log = logs.path() / "vigil.log";
  ServerFixture f([](ServerConfig& c) {
    c.tokens = {Token{"ingest-secret-16b", "chat", kScopeIngest}, Token{"admin-secret-16by", "ops", kScopeAdmin}};
  });
  // The fixture's server logs nowhere; point the process's logger at a file at info.
  LogConfig lc;
  lc.level = "info";
  lc.file = log.string();
  REQUIRE(init_logging(lc).ok());
  HttpClient c(f.port());
  CHECK(c.get("/v1/rules", "not-a-token-of-this-server").status == 401);
  CHECK(c.get("/v1/rules", "ingest-secret-16b").status == 403);
  CHECK(c.post("/v1/messages", "{", "ingest-secret-16b").status == 400);
  CHECK(c.post("/v1/rules/reload", "", "admin-secret-16by").status == 200);
  (void)init_logging(LogConfig{"off", true, ""});  // flushes and closes the file
  std::ifstream in(log);
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  auto find = [&](const std::string& event, const std::string& code) -> json {
    for (const json& l : lines)
      if (l["event"] == event && (code.empty() || l.value("code", "") == code)) return l;
    return nullptr;
  };
  const json unknown = find("request_refused", "auth.unknown_token");
  REQUIRE(unknown.is_object());
  CHECK(unknown["level"] == "info");
  CHECK(unknown["status"] == 401);
  CHECK(unknown["route"] == "rules");
  CHECK(unknown["path"] == "/v1/rules");
  CHECK(unknown["token"] == "");
  const json forbidden = find("request_refused", "auth.forbidden");
  REQUIRE(forbidden.is_object());
  CHECK(forbidden["status"] == 403);
  CHECK(forbidden["token"] == "chat");
  const json bad = find("request_refused", "request.malformed_json");
  REQUIRE(bad.is_object());
  CHECK(bad["route"] == "messages");
  CHECK(bad["token"] == "chat");
  const json reloaded = find("rules_reloaded", "");
  REQUIRE(reloaded.is_object());
  CHECK(reloaded["trigger"] == "http");
  CHECK(reloaded["token"] == "ops");
  std::ifstream again(log);
  const std::string text((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
  for (const char* secret : {"not-a-token-of-this-server", "ingest-secret-16b", "admin-secret-16by"}) {
    INFO(secret);
    CHECK(text.find(secret) == std::string::npos);
  }
}
