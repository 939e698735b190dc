// The moderator API on a real server with a real SQLite case store (server/README.md,
// "Cases"): the life of a case, reopening, concurrent decisions, listing, audit and
// erasure.
#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <thread>

#include "server/cases/evidence.h"
#include "tests/server/case_test_support.h"

using namespace vigil::server;
using namespace vigil::server::test;
using nlohmann::json;

namespace {

json first_case(HttpClient& c, const std::string& query = "") {
  Reply r = c.get("/v1/cases" + query, kAlice);
  REQUIRE(r.status == 200);
  REQUIRE(!r.json()["cases"].empty());
  return r.json()["cases"][0];
}

}  // namespace

TEST_CASE("a case opens at review with the context, every hit and the timeline; later messages join",
          "[server][cases]") {
  CaseFixture f;
  HttpClient c(f.port());
  std::vector<json> verdicts = send_all(c, grooming("c-life"));
  for (int i = 0; i < 4; ++i) CHECK_FALSE(verdicts[i].contains("case_id"));
  REQUIRE(verdicts[4]["level"] == "review");
  const std::string id = verdicts[4]["case_id"];
  CHECK(verdicts[5]["case_id"] == id);  // a later message joins, whatever its own level

  Reply r = c.get("/v1/cases/" + id, kAlice);
  REQUIRE(r.status == 200);
  const json k = r.json();
  for (const char* key : {"id", "conversation_id", "status", "level", "risk", "suspect_id", "participants", "messages",
                          "timeline", "decisions", "rules_version"})
    CHECK(k.contains(key));
  CHECK(k["id"] == id);
  CHECK(k["conversation_id"] == "c-life");
  CHECK(k["status"] == "open");
  CHECK(k["level"] == "review");
  CHECK(k["suspect_id"] == "u-a");
  CHECK(k["rules_version"] == verdicts[4]["rules_version"]);
  REQUIRE(k["messages"].size() == 6);
  REQUIRE(k["timeline"].size() == 6);
  for (int i = 0; i < 6; ++i) {
    CHECK(k["messages"][i]["message_id"] == "m" + std::to_string(i + 1));
    CHECK(k["messages"][i]["context"] == (i < 4));
    CHECK(k["timeline"][i]["message_id"] == k["messages"][i]["message_id"]);
  }
  // Hits of a context message were recomputed from its text: the span highlights the
  // evidence in the original text.
  const json& m4 = k["messages"][3];
  REQUIRE(m4["hits"].size() == 1);
  CHECK(m4["hits"][0]["rule"] == "test.en.secrecy.dont_tell");
  CHECK(m4["hits"][0]["stage"] == "secrecy");
  CHECK(m4["hits"][0]["description"] == "Tells the child to keep the contact from others");
  const std::string text = m4["text"];
  CHECK(text.substr(m4["hits"][0]["start"],
                    m4["hits"][0]["end"].get<size_t>() - m4["hits"][0]["start"].get<size_t>()) == "dont tell anyone");
  CHECK(k["messages"][4]["hits"][0]["rule"] == "test.en.platform_move.other_app");
  CHECK(k["timeline"][4]["hits"][0] == "test.en.platform_move.other_app");
  CHECK(k["timeline"][4]["level"] == "review");
  CHECK(k["timeline"][4]["stages"].contains("secrecy"));
  // Participants, with the suspect marked.
  REQUIRE(k["participants"].size() == 2);
  CHECK(k["participants"][0]["id"] == "u-a");
  CHECK(k["participants"][0]["suspect"] == true);
  CHECK(k["participants"][1]["suspect"] == false);
}

TEST_CASE("the life of a case: listed, read, assigned, confirmed, exported and verified", "[server][cases]") {
  CaseFixture f;
  HttpClient c(f.port());
  send_all(c, grooming("c-flow"));
  const json top = first_case(c);
  const std::string id = top["id"];
  CHECK(top["status"] == "open");

  Reply a = c.post("/v1/cases/" + id + "/assign", "", kAlice);
  REQUIRE(a.status == 200);
  CHECK(a.json()["assignee"] == "alice");
  CHECK(a.json()["status"] == "in_review");
  // Bob cannot take it silently.
  Reply taken = c.post("/v1/cases/" + id + "/assign", "", kBob);
  CHECK(taken.status == 409);
  CHECK(taken.error_code() == "case.assigned");

  Reply d = c.post("/v1/cases/" + id + "/decision", R"({"decision":"confirm","note":"clear pattern"})", kAlice);
  REQUIRE(d.status == 200);
  CHECK(d.json()["status"] == "confirmed");
  CHECK(d.json()["closed_at"] != "");
  Reply k = c.get("/v1/cases/" + id, kAlice);
  REQUIRE(k.json()["decisions"].size() == 1);
  CHECK(k.json()["decisions"][0]["moderator"] == "alice");
  CHECK(k.json()["decisions"][0]["decision"] == "confirm");
  CHECK(k.json()["decisions"][0]["note"] == "clear pattern");
  CHECK(k.json()["decisions"][0]["from"] == "in_review");

  Reply e = c.get("/v1/cases/" + id + "/export", kAlice);
  REQUIRE(e.status == 200);
  const json bundle = e.json();
  CHECK(bundle["format"] == "vigil.evidence.v1");
  CHECK(bundle["case"]["id"] == id);
  CHECK(bundle["rules_version"] == k.json()["rules_version"]);
  CHECK(bundle["decisions"].size() == 1);
  CHECK(bundle["messages"].size() == 6);
  CHECK(bundle["chain"]["head"] == bundle["messages"][5]["hash"]);
  auto report = vigil::cases::verify_bundle(e.body);
  REQUIRE(report);
  CHECK(report->ok);
  CHECK(report->messages == 6);
}

TEST_CASE("decision rules: reasons from the config, bad input refused, closed cases take none", "[server][cases]") {
  CaseFixture f([](ServerConfig& c) { c.cases.dismissal_reasons = {"not_grooming"}; });
  HttpClient c(f.port());
  send_all(c, grooming("c-rules"));
  const std::string id = first_case(c)["id"];
  struct Bad {
    const char* body;
    unsigned status;
    const char* code;
  } bad[] = {
      {R"({"decision":"maybe"})", 400, "case.bad_decision"},
      {R"({"decision":"dismiss","reason":"false_positive"})", 400, "case.bad_reason"},
      {R"({"decision":"dismiss"})", 400, "case.bad_reason"},
      {R"({"decision":"confirm","colour":"red"})", 400, "request.unknown_field"},
      {R"({"decision":7})", 400, "request.bad_type"},
      {R"({"decision":"confirm","version":99})", 409, "case.conflict"},
      {R"(not json)", 400, "request.malformed_json"},
  };
  for (const Bad& b : bad) {
    Reply r = c.post("/v1/cases/" + id + "/decision", b.body, kAlice);
    INFO(b.body);
    CHECK(r.status == b.status);
    CHECK(r.error_code() == b.code);
  }
  CHECK(c.post("/v1/cases/case_nope/decision", R"({"decision":"confirm"})", kAlice).status == 404);
  CHECK(c.post("/v1/cases/" + id + "/decision", R"({"decision":"escalate","version":1})", kAlice).status == 200);
  CHECK(c.post("/v1/cases/" + id + "/decision", R"({"decision":"escalate"})", kAlice).status == 409);
  CHECK(c.post("/v1/cases/" + id + "/decision", R"({"decision":"dismiss","reason":"not_grooming"})", kBob).status ==
        200);
  Reply again = c.post("/v1/cases/" + id + "/decision", R"({"decision":"confirm"})", kAlice);
  CHECK(again.status == 409);
  CHECK(again.json()["error"]["message"].get<std::string>().find("bob") != std::string::npos);
  // Scopes: an ingest token cannot read cases; a moderator cannot read the audit log.
  CHECK(c.get("/v1/cases", kIngest).status == 403);
  CHECK(c.get("/v1/audit", kAlice).status == 403);
  CHECK(c.get("/v1/cases").status == 401);
}

TEST_CASE("two moderators deciding at once: one decision wins, the other gets 409", "[server][cases]") {
  CaseFixture f;
  HttpClient c(f.port());
  for (int round = 0; round < 5; ++round) {
    const std::string conv = "c-race-" + std::to_string(round);
    send_all(c, grooming(conv));
    const std::string id = first_case(c, "?status=open")["id"];
    std::atomic<int> ok{0}, conflict{0};
    auto decide = [&](const std::string& token, const char* body) {
      HttpClient own(f.port());
      Reply r = own.post("/v1/cases/" + id + "/decision", body, token);
      if (r.status == 200)
        ++ok;
      else if (r.status == 409 && r.error_code() == "case.conflict")
        ++conflict;
    };
    std::thread t1(decide, kAlice, R"({"decision":"confirm"})");
    std::thread t2(decide, kBob, R"({"decision":"dismiss","reason":"false_positive"})");
    t1.join();
    t2.join();
    CHECK(ok == 1);
    CHECK(conflict == 1);
    Reply k = c.get("/v1/cases/" + id, kAlice);
    CHECK(k.json()["decisions"].size() == 1);
  }
}

TEST_CASE("a dismissed case reopens only on new evidence over the threshold", "[server][cases]") {
  CaseFixture f;
  HttpClient c(f.port());
  std::vector<json> v = send_all(c, grooming("c-reopen"));
  const std::string id = v[4]["case_id"];
  REQUIRE(
      c.post("/v1/cases/" + id + "/decision", R"({"decision":"dismiss","reason":"false_positive"})", kAlice).status ==
      200);
  // Still at review (risk decays slowly), but no new hit: the case stays dismissed and
  // the message does not join it.
  json quiet = send_all(c, {message("c-reopen", "m7", "u-a", "ok see you")})[0];
  CHECK(quiet["level"] == "review");
  CHECK_FALSE(quiet.contains("case_id"));
  CHECK(c.get("/v1/cases/" + id, kAlice).json()["status"] == "dismissed");
  // New evidence: the same case reopens (one case per conversation), with the message.
  json again = send_all(c, {message("c-reopen", "m8", "u-a", "this is our little secret")})[0];
  REQUIRE(again.contains("case_id"));
  CHECK(again["case_id"] == id);
  const json k = c.get("/v1/cases/" + id, kAlice).json();
  CHECK(k["status"] == "open");
  CHECK(k["closed_at"] == "");
  std::set<std::string> ids;
  for (const json& m : k["messages"]) ids.insert(m["message_id"]);
  CHECK(ids.count("m8") == 1);
  CHECK(ids.count("m7") == 1);  // the context in memory that the case lacked came along
  Reply list = c.get("/v1/cases?status=open,in_review,escalated,confirmed,dismissed", kAlice);
  CHECK(list.json()["cases"].size() == 1);
}

TEST_CASE("a case is raised to urgent when its conversation is", "[server][cases]") {
  CaseFixture f;
  HttpClient c(f.port());
  std::vector<json> v = send_all(c, grooming("c-urgent"));
  json u = send_all(c, {message("c-urgent", "m9", "u-a", "do it or else i will tell everyone")})[0];
  CHECK(u["level"] == "urgent");
  CHECK(u["case_id"] == v[4]["case_id"]);
  CHECK(c.get("/v1/cases/" + u["case_id"].get<std::string>(), kAlice).json()["level"] == "urgent");
}

TEST_CASE("listing: filters, sorting, cursor pagination and counts per status", "[server][cases]") {
  CaseFixture f;
  HttpClient c(f.port());
  // Seven cases: three at review, four at urgent (a coercion hit).
  for (int i = 0; i < 7; ++i) {
    const std::string conv = "c-list-" + std::to_string(i);
    std::vector<json> msgs = grooming(conv);
    if (i % 2 == 0) msgs.push_back(message(conv, "m9", "u-a", "or else i will tell everyone"));
    send_all(c, msgs);
  }
  Reply all = c.get("/v1/cases?limit=500", kAlice);
  REQUIRE(all.status == 200);
  REQUIRE(all.json()["cases"].size() == 7);
  // Sorted by risk, highest first.
  double prev = 101;
  const json listed = all.json();
  for (const json& k : listed["cases"]) {
    CHECK(k["risk"].get<double>() <= prev);
    prev = k["risk"];
  }
  // Decide two, assign one.
  const json cs = all.json()["cases"];
  REQUIRE(
      c.post("/v1/cases/" + cs[0]["id"].get<std::string>() + "/decision", R"({"decision":"confirm"})", kAlice).status ==
      200);
  REQUIRE(c.post("/v1/cases/" + cs[1]["id"].get<std::string>() + "/decision",
                 R"({"decision":"dismiss","reason":"false_positive"})", kAlice)
              .status == 200);
  REQUIRE(c.post("/v1/cases/" + cs[2]["id"].get<std::string>() + "/assign", "", kBob).status == 200);

  Reply counted = c.get("/v1/cases?status=open", kAlice);
  const json counts = counted.json()["counts"];
  CHECK(counts["open"] == 4);
  CHECK(counts["in_review"] == 1);
  CHECK(counts["confirmed"] == 1);
  CHECK(counts["dismissed"] == 1);
  CHECK(counts["escalated"] == 0);
  CHECK(counted.json()["cases"].size() == 4);
  CHECK(c.get("/v1/cases?level=urgent", kAlice).json()["cases"].size() == 4);
  CHECK(c.get("/v1/cases?level=review", kAlice).json()["cases"].size() == 3);
  CHECK(c.get("/v1/cases?stage=coercion", kAlice).json()["cases"].size() == 4);
  CHECK(c.get("/v1/cases?stage=meeting", kAlice).json()["cases"].empty());
  CHECK(c.get("/v1/cases?language=en", kAlice).json()["cases"].size() == 7);
  CHECK(c.get("/v1/cases?language=zh", kAlice).json()["cases"].empty());
  Reply bobs = c.get("/v1/cases?assignee=bob", kAlice);
  REQUIRE(bobs.json()["cases"].size() == 1);
  CHECK(bobs.json()["cases"][0]["id"] == cs[2]["id"]);
  CHECK(c.get("/v1/cases?opened_from=2000-01-01T00:00:00Z&opened_to=2100-01-01T00:00:00Z", kAlice)
            .json()["cases"]
            .size() == 7);
  CHECK(c.get("/v1/cases?opened_from=2100-01-01T00:00:00Z", kAlice).json()["cases"].empty());

  // Pages of two, in every sort order, cover each case exactly once and in order.
  for (const char* sort : {"risk", "opened", "updated"}) {
    for (const char* order : {"desc", "asc"}) {
      std::vector<std::string> seen;
      std::string cursor;
      for (int page = 0; page < 10; ++page) {
        std::string q = std::string("/v1/cases?limit=2&sort=") + sort + "&order=" + order;
        if (!cursor.empty()) q += "&cursor=" + cursor;
        Reply r = c.get(q, kAlice);
        REQUIRE(r.status == 200);
        const json body = r.json();
        for (const json& k : body["cases"]) seen.push_back(k["id"]);
        if (body["next_cursor"].is_null()) break;
        cursor = body["next_cursor"];
      }
      INFO(sort << " " << order);
      CHECK(seen.size() == 7);
      CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 7);
    }
  }
  struct Bad {
    const char* q;
    const char* field;
  } bad[] = {{"status=closed", "status"},
             {"level=high", "level"},
             {"sort=name", "sort"},
             {"limit=0", "limit"},
             {"cursor=zzz", "cursor"},
             {"colour=red", "colour"},
             {"opened_from=yesterday", "opened_from"}};
  for (const Bad& b : bad) {
    Reply r = c.get(std::string("/v1/cases?") + b.q, kAlice);
    INFO(b.q);
    CHECK(r.status == 400);
    CHECK(r.error_field() == b.field);
  }
}

TEST_CASE("the audit log names the token of every read and decision, never its secret", "[server][cases]") {
  CaseFixture f;
  HttpClient c(f.port());
  send_all(c, grooming("c-audit"));
  const std::string id = first_case(c)["id"];
  Reply read = c.get("/v1/cases/" + id, kBob);
  REQUIRE(read.status == 200);
  // The case carries its own trail for moderators, this read included.
  REQUIRE(read.json()["audit"].size() == 1);
  CHECK(read.json()["audit"][0]["action"] == "case.read");
  CHECK(read.json()["audit"][0]["actor"] == "bob");
  REQUIRE(c.post("/v1/cases/" + id + "/decision", R"({"decision":"confirm"})", kAlice).status == 200);
  REQUIRE(c.get("/v1/cases/" + id + "/export", kAlice).status == 200);
  Reply a = c.get("/v1/audit?case_id=" + id, kAdmin);
  REQUIRE(a.status == 200);
  const json entries = a.json()["entries"];
  REQUIRE(entries.size() == 3);
  CHECK(entries[0]["action"] == "case.read");
  CHECK(entries[0]["actor"] == "bob");
  CHECK(entries[1]["action"] == "case.decision");
  CHECK(entries[1]["actor"] == "alice");
  CHECK(entries[1]["detail"]["decision"] == "confirm");
  CHECK(entries[2]["action"] == "case.export");
  CHECK(entries[2]["detail"]["chain_head"].get<std::string>().size() == 64);
  CHECK(a.body.find("secret") == std::string::npos);
  // Listing does not read messages and is not audited; filters and the cursor work.
  CHECK(c.get("/v1/audit?actor=alice", kAdmin).json()["entries"].size() == 2);
  Reply page = c.get("/v1/audit?limit=1", kAdmin);
  REQUIRE(page.json()["entries"].size() == 1);
  const int64_t after = page.json()["next_after"];
  CHECK(c.get("/v1/audit?after=" + std::to_string(after), kAdmin).json()["entries"].size() == 2);
}

TEST_CASE("erasure forgets the scorer state, keeps an open case and deletes closed ones only when asked",
          "[server][cases]") {
  CaseFixture f;
  HttpClient c(f.port());
  std::vector<json> v = send_all(c, grooming("c-erase"));
  const std::string id = v[4]["case_id"];
  send_all(c, {message("c-plain", "p1", "u-x", "hello there")});
  CHECK(c.get("/v1/conversations/c-plain", kAlice).status == 200);
  CHECK(c.request(http::verb::delete_, "/v1/conversations/c-plain", "", kAlice).status == 403);
  Reply plain = c.request(http::verb::delete_, "/v1/conversations/c-plain", "", kAdmin);
  REQUIRE(plain.status == 200);
  CHECK(plain.json()["scorer_state"] == true);
  CHECK(c.get("/v1/conversations/c-plain", kAlice).status == 404);

  // An open case stays even when the request asks for closed ones.
  Reply kept = c.request(http::verb::delete_, "/v1/conversations/c-erase?closed_cases=delete", "", kAdmin);
  REQUIRE(kept.status == 200);
  CHECK(kept.json()["cases_kept"] == json::array({id}));
  CHECK(c.get("/v1/cases/" + id, kAlice).status == 200);
  REQUIRE(c.post("/v1/cases/" + id + "/decision", R"({"decision":"confirm"})", kAlice).status == 200);
  // Closed, but the request does not say so: kept.
  CHECK(c.request(http::verb::delete_, "/v1/conversations/c-erase", "", kAdmin).json()["cases_kept"].size() == 1);
  Reply gone = c.request(http::verb::delete_, "/v1/conversations/c-erase?closed_cases=delete", "", kAdmin);
  CHECK(gone.json()["cases_deleted"] == json::array({id}));
  CHECK(c.get("/v1/cases/" + id, kAlice).status == 404);
  Reply audit = c.get("/v1/audit?action=conversation.erase", kAdmin);
  REQUIRE(audit.json()["entries"].size() == 4);
  CHECK(audit.json()["entries"][3]["actor"] == "root");
  CHECK(audit.json()["entries"][3]["conversation_id"] == "c-erase");
  CHECK(c.request(http::verb::delete_, "/v1/conversations/c-erase?closed_cases=maybe", "", kAdmin).status == 400);
}
