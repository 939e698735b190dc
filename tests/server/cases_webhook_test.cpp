// Webhooks from the durable outbox, checked by a real receiver on 127.0.0.1 that
// verifies every signature; and the crash test: kill -9 right after a verdict that
// named a case, restart, the case is whole and the undelivered events arrive once.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "tests/server/case_test_support.h"
#include "tests/server/serve_process.h"
#include "tests/server/webhook_receiver.h"

using namespace vigil::server;
using namespace vigil::server::test;
using nlohmann::json;

namespace {

const std::string kSecret = "whsec-test-only";

WebhookReceiver* g_receiver = nullptr;  // for the config tweak (a plain function pointer)

void with_webhooks(ServerConfig& c) {
  c.cases.webhooks.endpoints = {{g_receiver->url(), kSecret}};
  c.cases.webhooks.initial_backoff = std::chrono::milliseconds(20);
  c.cases.webhooks.max_backoff = std::chrono::milliseconds(100);
  c.cases.webhooks.max_attempts = 50;
}

}  // namespace

TEST_CASE("case.opened, case.escalated and case.decided arrive once each, signed", "[server][cases][webhooks]") {
  WebhookReceiver receiver(kSecret);
  g_receiver = &receiver;
  CaseFixture f(with_webhooks);
  HttpClient c(f.port());
  std::vector<json> v = send_all(c, grooming("c-hooks"));
  const std::string id = v[4]["case_id"];
  REQUIRE(receiver.wait_accepted(1));
  send_all(c, {message("c-hooks", "m9", "u-a", "or else i will tell everyone")});
  REQUIRE(receiver.wait_accepted(2));
  REQUIRE(c.post("/v1/cases/" + id + "/decision", R"({"decision":"confirm","note":"n"})", kAlice).status == 200);
  REQUIRE(receiver.wait_accepted(3));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // nothing more comes

  const auto events = receiver.events();
  REQUIRE(events.size() == 3);
  const char* types[] = {"case.opened", "case.escalated", "case.decided"};
  for (size_t i = 0; i < 3; ++i) {
    INFO(i);
    CHECK(events[i].signature_ok);
    CHECK(events[i].type == types[i]);
    CHECK(events[i].id.rfind("evt_", 0) == 0);
    CHECK(events[i].idempotency_key == events[i].id);
    const json body = json::parse(events[i].body);
    CHECK(body["id"] == events[i].id);
    CHECK(body["type"] == types[i]);
    CHECK(body["case"]["id"] == id);
    CHECK(body["case"]["conversation_id"] == "c-hooks");
    CHECK_FALSE(body.dump().find("snapchat") != std::string::npos);  // no message text in events
  }
  CHECK(json::parse(events[1].body)["case"]["level"] == "urgent");
  const json decided = json::parse(events[2].body);
  CHECK(decided["decision"]["decision"] == "confirm");
  CHECK(decided["decision"]["moderator"] == "alice");
  CHECK(decided["case"]["status"] == "confirmed");
  // A tampered body or a wrong secret does not verify.
  CHECK(WebhookReceiver::hmac_hex("wrong", "1." + events[0].body) !=
        WebhookReceiver::hmac_hex(kSecret, "1." + events[0].body));

  // The receiver records an event before the dispatcher hears its 200: wait for it.
  CHECK(eventually([&] {
    const std::string m = c.get("/metrics").body;
    return m.find("vigil_webhook_deliveries_total{result=\"delivered\"} 3") != std::string::npos &&
           m.find("vigil_webhook_outbox{state=\"pending\"} 0") != std::string::npos &&
           m.find("vigil_webhook_outbox{state=\"delivered\"} 3") != std::string::npos;
  }));
}

TEST_CASE("a failing receiver gets the same event again, with backoff, until it accepts", "[server][cases][webhooks]") {
  WebhookReceiver receiver(kSecret);
  receiver.set_failing(true);
  g_receiver = &receiver;
  CaseFixture f(with_webhooks);
  HttpClient c(f.port());
  send_all(c, grooming("c-retry"));
  REQUIRE(eventually([&] { return receiver.events().size() >= 3; }));
  Reply pending = c.get("/metrics");
  CHECK(pending.body.find("vigil_webhook_outbox{state=\"pending\"} 1") != std::string::npos);
  CHECK(pending.body.find("vigil_webhook_deliveries_total{result=\"retry\"} 0") == std::string::npos);
  receiver.set_failing(false);
  REQUIRE(receiver.wait_accepted(1));
  const auto events = receiver.events();
  for (const auto& e : events) {
    CHECK(e.signature_ok);
    CHECK(e.id == events[0].id);  // every retry carries the same idempotency key
    CHECK(e.body == events[0].body);
  }
  CHECK(receiver.accepted_ids().size() == 1);
  REQUIRE(eventually(
      [&] { return c.get("/metrics").body.find("vigil_webhook_outbox{state=\"delivered\"} 1") != std::string::npos; }));
}

TEST_CASE(
    "kill -9 right after a verdict with a case_id: the case is whole and its webhooks arrive once "
    "after restart",
    "[server][cases][webhooks][process]") {
  TempDir rules, data;
  write_case_rules(rules.path());
  WebhookReceiver receiver(kSecret);
  receiver.set_failing(true);  // nothing is delivered before the crash
  const auto config = data.path() / "vigil.yaml";
  std::ofstream(config) << "listen: 127.0.0.1:0\n"
                        << "rules: " << rules.path().string() << "\n"
                        << "data_dir: " << (data.path() / "data").string() << "\n"
                        << "threads: 2\n"
                        << "log: {level: off}\n"
                        << "tokens:\n"
                        << "  - {token: " << kIngest << ", name: ingester, scopes: [ingest]}\n"
                        << "  - {token: " << kAlice << ", name: alice, scopes: [moderate]}\n"
                        << "webhooks:\n"
                        << "  endpoints: [{url: \"" << receiver.url() << "\", secret: " << kSecret << "}]\n"
                        << "  initial_backoff: 20ms\n"
                        << "  max_backoff: 100ms\n";

  ServeProcess first(std::vector<std::string>{"--config", config.string()});
  REQUIRE(first.port() != 0);
  std::string case_id;
  std::vector<std::string> sent;
  {
    HttpClient c(first.port());
    for (const json& m : grooming("c-crash")) {
      Reply r = c.post("/v1/messages", m.dump(), kIngest);
      REQUIRE(r.status == 200);
      sent.push_back(m["message_id"]);
      if (r.json().contains("case_id")) {
        case_id = r.json()["case_id"];
        first.kill9();  // right after the verdict that named the case
        break;
      }
    }
  }
  REQUIRE(first.exit_code() == -1);  // killed by the signal
  REQUIRE(!case_id.empty());
  for (const auto& e : receiver.events()) CHECK(e.answered == 503);

  receiver.set_failing(false);
  ServeProcess second(std::vector<std::string>{"--config", config.string()});
  REQUIRE(second.port() != 0);
  {
    HttpClient c(second.port());
    Reply k = c.get("/v1/cases/" + case_id, kAlice);
    REQUIRE(k.status == 200);
    const json kase = k.json();
    REQUIRE(kase["messages"].size() == sent.size());
    for (size_t i = 0; i < sent.size(); ++i) CHECK(kase["messages"][i]["message_id"] == sent[i]);
    // The message that opened the case kept its hits (which rule depends on stages.yaml).
    CHECK(!kase["messages"].back()["hits"].empty());
    CHECK(kase["status"] == "open");
    REQUIRE(receiver.wait_accepted(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // no second copy follows
    const auto accepted = receiver.accepted_ids();
    REQUIRE(accepted.size() == 1);
    CHECK(accepted.begin()->second == 1);
    for (const auto& e : receiver.events()) {
      CHECK(e.signature_ok);
      CHECK(e.id == accepted.begin()->first);
      CHECK(json::parse(e.body)["case"]["id"] == case_id);
    }
  }
  CHECK(second.stop() == 0);
}
