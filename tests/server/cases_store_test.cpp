// The case store on a real SQLite file, the evidence chain and its verifier (in
// process, through `vigil export verify`, and with the Python of server/README.md),
// retention (`vigil purge`), the append-only audit table, and what reaches the disk.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <fstream>
#include <sstream>

#include "plugin/common/json_text.h"
#include "server/cases/evidence.h"
#include "server/cases/sqlite_case_store.h"
#include "tests/server/case_test_support.h"
#include "tests/server/webhook_receiver.h"

using namespace vigil;
using namespace vigil::cases;
using namespace vigil::server::test;
using nlohmann::json;

namespace {

CaseMessage msg(const std::string& id, const std::string& sender, const std::string& text, int64_t ts) {
  CaseMessage m;
  m.message_id = id;
  m.sender_id = sender;
  m.text = text;
  m.ts_ms = ts;
  return m;
}

// Opens a case in `store` for `conv` with three context messages and one flagged one.
std::string open_case(CaseStore& store, const std::string& conv, int64_t now = 1'700'000'000'000) {
  MessageEvent e;
  e.conversation_id = conv;
  e.context = {msg("m1", "u-a", "hello", now - 3000), msg("m2", "u-b", "你好，我13岁", now - 2000),
               msg("m3", "u-a", "dont tell anyone \xF0\x9F\x98\x80", now - 1000)};
  CaseHit h;
  h.rule = "test.en.secrecy.dont_tell";
  h.stage = "secrecy";
  h.start = 0;
  h.end = 16;
  e.context[2].hits = {h};
  e.message = msg("m4", "u-a", "add me on snapchat", now);
  e.level = Level::kReview;
  e.risk = 70;
  e.new_evidence = true;
  e.rules_version = "rv1";
  e.suspect_id = "u-a";
  e.now_ms = now;
  Result<RecordResult> r = store.record(e);
  REQUIRE(r);
  REQUIRE(!r->case_id.empty());
  return r->case_id;
}

std::string bundle_text(CaseStore& store, const std::string& id) {
  auto rec = store.get(id);
  REQUIRE(rec);
  REQUIRE(rec->has_value());
  return vigil::dump_json(export_bundle(**rec, 1'700'000'100'000));
}

int run(const std::string& cmd, std::string* out = nullptr) {
  const std::string file = std::filesystem::temp_directory_path() / ("vigil-cmd-" + std::to_string(getpid()));
  const int status = std::system((cmd + " > " + file + " 2>&1").c_str());
  if (out) {
    std::ifstream in(file);
    std::stringstream ss;
    ss << in.rdbuf();
    *out = ss.str();
  }
  std::filesystem::remove(file);
  return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("export verification catches an edited, a removed and a reordered message", "[cases][export]") {
  TempDir dir;
  auto store = SqliteCaseStore::open({dir.path() / "cases.db", {}});
  REQUIRE(store);
  const std::string id = open_case(**store, "c-exp");
  const json good = json::parse(bundle_text(**store, id));
  REQUIRE(good["messages"].size() == 4);
  auto check = [](const json& b) {
    auto r = verify_bundle(vigil::dump_json(b));
    REQUIRE(r);
    return *r;
  };
  CHECK(check(good).ok);

  json edited = good;
  edited["messages"][1]["text"] = "你好，我18岁";
  VerifyReport r = check(edited);
  CHECK_FALSE(r.ok);
  CHECK(r.broken_index == 1);
  CHECK(r.broken_message_id == "m2");

  json hit_moved = good;
  hit_moved["messages"][2]["hits"][0]["start"] = 1;
  CHECK(check(hit_moved).broken_message_id == "m3");

  json removed = good;
  removed["messages"].erase(1);
  r = check(removed);
  CHECK(r.broken_index == 1);
  CHECK(r.broken_message_id == "m3");  // the first message whose link no longer holds

  json reordered = good;
  std::swap(reordered["messages"][1], reordered["messages"][2]);
  r = check(reordered);
  CHECK(r.broken_index == 1);
  CHECK(r.broken_message_id == "m3");

  json truncated = good;
  truncated["messages"].erase(3);
  r = check(truncated);
  CHECK_FALSE(r.ok);
  CHECK(r.broken_index == 3);
  CHECK(r.reason.find("head") != std::string::npos);

  // Re-hashing one edited message is not enough: the next link breaks.
  json rehashed = edited;
  CaseMessage m2 = msg("m2", "u-b", "你好，我18岁", good["messages"][1]["ts_ms"]);
  rehashed["messages"][1]["hash"] = chain_link(good["messages"][1]["prev_hash"].get<std::string>(), m2);
  CHECK(check(rehashed).broken_message_id == "m3");

  CHECK_FALSE(verify_bundle("{}"));
  CHECK_FALSE(verify_bundle("not json"));
  json wrong_type = good;
  wrong_type["chain"]["head"] = 7;
  CHECK_FALSE(verify_bundle(vigil::dump_json(wrong_type)));

  // The command line: exit 0 intact, 1 naming the message, 2 not a bundle.
  const std::string vigil_bin = std::string(VIGIL_BINARY_DIR) + "/vigil";
  std::ofstream(dir.path() / "good.json") << vigil::dump_json(good);
  std::ofstream(dir.path() / "edited.json") << vigil::dump_json(edited);
  std::ofstream(dir.path() / "junk.json") << "[1,2";
  std::string out;
  CHECK(run(vigil_bin + " export verify " + (dir.path() / "good.json").string(), &out) == 0);
  CHECK(out.find("ok: 4 message(s)") != std::string::npos);
  CHECK(run(vigil_bin + " export verify " + (dir.path() / "edited.json").string(), &out) == 1);
  CHECK(out.find("message #1 (m2)") != std::string::npos);
  CHECK(run(vigil_bin + " export verify " + (dir.path() / "junk.json").string(), &out) == 1);
  CHECK(out.find("export.bad_bundle") != std::string::npos);

  // The Python of server/README.md agrees (non-ASCII text included).
  if (std::system("python3 -c 'import hashlib' > /dev/null 2>&1") == 0) {
    std::ofstream(dir.path() / "verify.py") << R"(import hashlib, json, sys
b = json.load(open(sys.argv[1])); prev = b["chain"]["genesis"]
for m in b["messages"]:
    assert m["prev_hash"] == prev, m["message_id"]
    canon = {"hits": [{k: h[k] for k in ("end", "rule", "stage", "start")} for h in m["hits"]],
             "message_id": m["message_id"], "sender_id": m["sender_id"], "text": m["text"], "ts_ms": m["ts_ms"]}
    text = json.dumps(canon, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    prev = hashlib.sha256((prev + "\n" + text).encode()).hexdigest()
    assert m["hash"] == prev, m["message_id"]
assert prev == b["chain"]["head"] and len(b["messages"]) == b["chain"]["messages"]
)";
    const std::string py = "python3 " + (dir.path() / "verify.py").string() + " ";
    CHECK(run(py + (dir.path() / "good.json").string()) == 0);
    CHECK(run(py + (dir.path() / "edited.json").string(), &out) != 0);
    CHECK(out.find("m2") != std::string::npos);
  } else {
    WARN("python3 not found: the README's Python check was skipped");
  }
}

TEST_CASE("vigil purge --dry-run lists closed cases past the retention; purge removes them and audits it",
          "[cases][retention]") {
  TempDir dir;
  const int64_t day = 24 * 3600 * 1000;
  const int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  std::string old_id, recent_id, open_id;
  {
    auto store = SqliteCaseStore::open({dir.path() / "cases.db", {}});
    REQUIRE(store);
    old_id = open_case(**store, "c-old", now - 400 * day);
    recent_id = open_case(**store, "c-recent", now - 30 * day);
    open_id = open_case(**store, "c-open", now - 400 * day);
    DecisionRequest d;
    d.decision.decision = "dismiss";
    d.decision.reason = "false_positive";
    d.decision.moderator = "alice";
    d.decision.at_ms = now - 370 * day;
    REQUIRE((*store)->decide(old_id, d));
    d.decision.at_ms = now - 10 * day;
    REQUIRE((*store)->decide(recent_id, d));
  }
  const std::string vigil_bin = std::string(VIGIL_BINARY_DIR) + "/vigil";
  std::string out;
  REQUIRE(run(vigil_bin + " purge --dry-run --data-dir " + dir.path().string(), &out) == 0);
  CHECK(out.find("would purge " + old_id) != std::string::npos);
  CHECK(out.find(recent_id) == std::string::npos);
  CHECK(out.find(open_id) == std::string::npos);
  CHECK(out.find("1 case(s)") != std::string::npos);
  REQUIRE(run(vigil_bin + " purge --data-dir " + dir.path().string(), &out) == 0);
  CHECK(out.find("purged " + old_id) != std::string::npos);
  REQUIRE(run(vigil_bin + " purge --retention-days 5 --data-dir " + dir.path().string(), &out) == 0);
  CHECK(out.find("purged " + recent_id) != std::string::npos);

  auto store = SqliteCaseStore::open({dir.path() / "cases.db", {}});
  REQUIRE(store);
  CHECK_FALSE((*store)->get(old_id)->has_value());
  CHECK_FALSE((*store)->get(recent_id)->has_value());
  CHECK((*store)->get(open_id)->has_value());
  AuditQuery q;
  q.action = "case.purge";
  auto audit = (*store)->audit_log(q);
  REQUIRE(audit);
  REQUIRE(audit->size() == 2);
  CHECK((*audit)[0].case_id == old_id);
  CHECK((*audit)[0].actor == "system");
}

TEST_CASE("the audit table is append-only", "[cases][audit]") {
  TempDir dir;
  {
    auto store = SqliteCaseStore::open({dir.path() / "cases.db", {}});
    REQUIRE(store);
    AuditEntry e;
    e.actor = "alice";
    e.action = "case.read";
    REQUIRE((*store)->audit(e));
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((dir.path() / "cases.db").string().c_str(), &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, "UPDATE audit SET actor = 'mallory'", nullptr, nullptr, nullptr) != SQLITE_OK);
  CHECK(std::string(sqlite3_errmsg(db)).find("append-only") != std::string::npos);
  CHECK(sqlite3_exec(db, "DELETE FROM audit", nullptr, nullptr, nullptr) != SQLITE_OK);
  sqlite3_close(db);
}

namespace {

std::string read_all(const std::filesystem::path& dir) {
  std::string all;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    all += ss.str();
  }
  return all;
}

void hashed_ids(vigil::server::ServerConfig& c) { c.cases.participant_id_key = "k-test"; }

}  // namespace

TEST_CASE("only conversations with a case leave text on disk; participant ids can be stored keyed-hashed",
          "[server][cases][privacy]") {
  CaseFixture f(hashed_ids);
  HttpClient c(f.port());
  send_all(c, {message("c-benign", "b1", "u-quiet-person", "the zebra-marmalade picnic is on sunday")});
  std::vector<json> v = send_all(c, grooming("c-priv"));
  const std::string id = v[4]["case_id"];
  f.restart();  // flushes the scorer state too
  const std::string disk = read_all(f.data.path());
  CHECK(disk.find("zebra-marmalade") == std::string::npos);
  CHECK(disk.find("add me on snapchat") != std::string::npos);  // the case's evidence

  HttpClient c2(f.port());
  const json k = c2.get("/v1/cases/" + id, kAlice).json();
  const std::string want = WebhookReceiver::hmac_hex("k-test", "u-a").substr(0, 32);
  CHECK(k["suspect_id"] == want);
  CHECK(k["participants"][0]["id"] == want);
  CHECK(k["messages"][0]["sender_id"] == want);
  // The case store holds no raw participant id (the scorer's snapshot keeps its own).
  std::ifstream in(f.data.path() / "cases.db", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK(ss.str().find("u-a") == std::string::npos);
}
