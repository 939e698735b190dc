// /metrics over a real server on 127.0.0.1:0: the engine's counters, vigil_build_info,
// the process_* metrics, per-rule hits across reloads, the reload-duration histogram,
// a scan Hyperscan cannot run (counted, 503), and the metrics scope.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "server/router.h"
#include "tests/plugin/hs_fault.h"
#include "tests/server/server_test_support.h"

using namespace vigil::server;
using namespace vigil::server::test;
using nlohmann::json;

namespace {

constexpr const char* kDontTell = "vigil_rule_hits_total{rule=\"test.en.secrecy.dont_tell\"}";

size_t count_lines(const std::string& text, const std::string& prefix) {
  size_t n = 0;
  for (size_t at = text.find("\n" + prefix); at != std::string::npos; at = text.find("\n" + prefix, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("/metrics exports the engine's counters, the build and the process", "[server][metrics]") {
  ServerFixture f;
  HttpClient c(f.port());
  REQUIRE(c.post("/v1/messages", message("c-1", "m-1", "u-a", "dont tell your parents").dump()).status == 200);
  const std::string version = c.get("/v1/rules").json()["version"];
  const std::string m = c.get("/metrics").body;

  for (const char* name :
       {"vigil_messages_rejected_total", "vigil_scan_failures_total", "vigil_participants_overflow_total",
        "vigil_state_restored_conversations", "vigil_state_snapshots_skipped", "vigil_state_flushes_total"}) {
    INFO(name);
    CHECK(metric_value(m, name) == 0);
  }
  CHECK(m.find("\nvigil_build_info{version=\"0.1.0\",rules_version=\"" + version + "\",hyperscan=\"") !=
        std::string::npos);

  CHECK(metric_value(m, "process_resident_memory_bytes") > 1 << 20);
  CHECK(metric_value(m, "process_virtual_memory_bytes") >= metric_value(m, "process_resident_memory_bytes"));
  CHECK(metric_value(m, "process_cpu_seconds_total") >= 0);  // present; a fresh process may not have a tick yet
  CHECK(metric_value(m, "process_open_fds") >= 3);           // at least the listener, the client's socket, a log
  CHECK(metric_value(m, "process_max_fds") >= metric_value(m, "process_open_fds"));
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const double started = metric_value(m, "process_start_time_seconds");
  CHECK(started <= now + 1);
  CHECK(started > now - 3600);  // this test process started within the hour
}

TEST_CASE("per-rule hits: one line per loaded rule, kept across reloads, gone with the rule", "[server][metrics]") {
  ServerFixture f;
  HttpClient c(f.port());
  const size_t rules = c.get("/v1/rules").json()["rules"];
  REQUIRE(c.post("/v1/messages", message("c-1", "m-1", "u-a", "dont tell your parents").dump()).status == 200);
  REQUIRE(c.post("/v1/messages", message("c-1", "m-1", "u-a", "dont tell your parents").dump()).status == 200);
  REQUIRE(c.post("/v1/messages", message("c-2", "m-1", "u-a", "加个vx吧").dump()).status == 200);
  std::string m = c.get("/metrics").body;
  CHECK(count_lines(m, "vigil_rule_hits_total{") == rules);
  CHECK(metric_value(m, kDontTell) == 1);  // the repeat is a duplicate, not scored again
  CHECK(metric_value(m, "vigil_rule_reload_duration_seconds_count") == 0);

  // A reload without the zh pack: the en rule keeps its count, the zh rules leave.
  std::filesystem::remove(f.rules.path() / "zh" / "core.yaml");
  REQUIRE(c.post("/v1/rules/reload", "").status == 200);
  const size_t en_rules = c.get("/v1/rules").json()["rules"];
  REQUIRE(en_rules < rules);
  m = c.get("/metrics").body;
  CHECK(count_lines(m, "vigil_rule_hits_total{") == en_rules);
  CHECK(metric_value(m, kDontTell) == 1);
  CHECK(m.find("vigil_rule_hits_total{rule=\"test.zh.") == std::string::npos);
  REQUIRE(c.post("/v1/messages", message("c-3", "m-1", "u-a", "dont tell your parents").dump()).status == 200);
  CHECK(metric_value(c.get("/metrics").body, kDontTell) == 2);

  // A failed reload is timed too; the buckets reach 30 s.
  { std::ofstream(f.rules.path() / "en" / "broken.yaml") << "rules: [{id: x\n"; }
  REQUIRE(c.post("/v1/rules/reload", "").status == 422);
  m = c.get("/metrics").body;
  CHECK(metric_value(m, "vigil_rule_reload_duration_seconds_count") == 2);
  CHECK(metric_value(m, "vigil_rule_reload_duration_seconds_bucket{le=\"30\"}") == 2);
  CHECK(metric_value(m, "vigil_rule_reload_duration_seconds_bucket{le=\"+Inf\"}") == 2);
  CHECK(metric_value(m, kDontTell) == 2);
}

TEST_CASE("a message Hyperscan cannot scan is a counted 503, never a verdict without hits", "[server][metrics]") {
  ServerFixture f;
  HttpClient c(f.port());
  {
    // The io threads' matchers for this new server are built under the fault.
    vigil::test::RefuseScratch refuse;
    Reply r = c.post("/v1/messages", message("c-1", "m-1", "u-a", "dont tell your parents").dump());
    CHECK(r.status == 503);
    CHECK(r.error_code() == "rules.scan_failed");
  }
  const std::string m = c.get("/metrics").body;
  CHECK(metric_value(m, "vigil_scan_failures_total") == 1);
  CHECK(metric_value(m, "vigil_errors_total{code=\"rules.scan_failed\"}") == 1);
  CHECK(metric_value(m, "vigil_messages_total") == 0);
  Reply again = c.post("/v1/messages", message("c-1", "m-1", "u-a", "dont tell your parents").dump());
  REQUIRE(again.status == 200);
  CHECK_FALSE(again.json()["hits"].empty());
}

TEST_CASE("a token with only the metrics scope scrapes /metrics and nothing else", "[server][metrics][auth]") {
  ServerFixture f([](ServerConfig& c) {
    c.tokens = {Token{"metrics-secret-16b", "scraper", kScopeMetrics}, Token{"admin-secret-16by", "ops", kScopeAdmin}};
  });
  // Over the socket the peer is loopback, so the scope is checked on the header here.
  for (const auto& [token, want] :
       {std::pair<std::string, unsigned>{"metrics-secret-16b", 200}, {"admin-secret-16by", 403}, {"", 401}}) {
    INFO(token);
    Request req;
    req.method = http::verb::get;
    req.path = "/metrics";
    const std::string header = "Bearer " + token;
    if (!token.empty()) req.authorization = header;
    req.loopback_peer = false;
    Route route;
    std::optional<Response> refused = check_header((*f.server)->context(), req, route);
    CHECK((refused ? refused->status : 200u) == want);
  }
  HttpClient c(f.port());
  CHECK(c.get("/v1/rules", "metrics-secret-16b").status == 403);
  CHECK(c.get("/metrics", "metrics-secret-16b").status == 200);
}
