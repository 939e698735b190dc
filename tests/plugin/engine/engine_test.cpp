// The Engine's lifecycle and bookkeeping: validation, duplicates, LRU and TTL eviction
// (with an injected clock), persistence across a restart, store errors, reload, the
// conversation view and the counters. Scores come from the shipped ./rules.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include "plugin/engine/engine.h"
#include "plugin/engine/message_json.h"
#include "plugin/scoring/explanation.h"
#include "tests/plugin/engine/engine_test_support.h"
#include "tests/plugin/hs_fault.h"

namespace vigil {
namespace {

using test::msg;

struct Clock {
  std::shared_ptr<std::atomic<int64_t>> t = std::make_shared<std::atomic<int64_t>>(1'800'000'000'000);
  std::function<int64_t()> fn() const {
    return [t = t] { return t->load(); };
  }
  void advance(int64_t ms) { *t += ms; }
};

std::unique_ptr<Engine> make(EngineOptions opt = {}) {
  opt.rules_dir = test::shipped_rules();
  if (opt.rules_cache_dir.empty()) opt.rules_cache_dir = test::rules_cache_dir();
  auto e = Engine::create(std::move(opt));
  if (!e) FAIL(to_text(e.error()));
  return std::move(e).value();
}

// prefix + n, without GCC 12's false -Wrestrict on "literal" + std::string&&.
std::string id(const char* prefix, int n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}

std::string dump(const Verdict& v) { return verdict_to_json(v).dump(); }

std::vector<Message> classic() {
  return test::read_messages(test::source_dir() / "tests/fixtures/conversations/en_classic_progression.jsonl");
}

}  // namespace

TEST_CASE("a message Hyperscan cannot scan is refused (rules.scan_failed), counted, and changes nothing") {
  auto e = make();
  const Message m = msg("c-scan", "m-1", "u-a", "dont tell your parents");
  {
    // This thread's matcher for the new engine is built under the fault: its scratch
    // cannot be cloned.
    test::RefuseScratch refuse;
    auto v = e->process(m);
    REQUIRE_FALSE(v.ok());
    CHECK(v.error().code == "rules.scan_failed");
  }
  CHECK(e->stats().scan_failures == 1);
  CHECK(e->stats().messages == 0);
  CHECK_FALSE(e->conversation("c-scan").has_value());
  auto v = e->process(m);  // the clone is retried: the same message now scores
  REQUIRE(v.ok());
  CHECK_FALSE(v->hits.empty());
  CHECK_FALSE(v->duplicate);
  CHECK(e->stats().scan_failures == 1);
}

TEST_CASE("invalid messages are refused with a code and a field, and change nothing") {
  auto e = make();
  auto check = [&](Message m, const char* code, const char* field) {
    auto v = e->process(m);
    REQUIRE_FALSE(v.ok());
    CHECK(v.error().code == code);
    CHECK(v.error().field == field);
  };
  check(msg("", "m1", "u", "hi"), "message.missing_field", "conversation_id");
  check(msg("c", "", "u", "hi"), "message.missing_field", "message_id");
  check(msg("c", "m1", "", "hi"), "message.missing_field", "sender_id");
  check(msg("c", "m1", "u", ""), "message.missing_field", "text");
  check(msg("c", "m1", "u", std::string(64 * 1024 + 1, 'a')), "message.text_too_long", "text");
  CHECK(e->stats().rejected == 5);
  CHECK(e->stats().messages == 0);
  CHECK_FALSE(e->conversation("c").has_value());
}

TEST_CASE("a repeated message id returns the first verdict and is not scored again") {
  auto e = make();
  const auto msgs = classic();
  std::vector<Verdict> first;
  for (const auto& m : msgs) first.push_back(e->process(m).value());
  const EngineStats before = e->stats();
  const Message& again = msgs[msgs.size() - 3];  // within the duplicate window
  auto v = e->process(again);
  REQUIRE(v.ok());
  CHECK(v->duplicate);
  CHECK(v->risk == Approx(first[msgs.size() - 3].risk).margin(0.01));
  CHECK(v->level == first[msgs.size() - 3].level);
  CHECK(v->suspect_id == first[msgs.size() - 3].suspect_id);
  CHECK(e->stats().duplicates == before.duplicates + 1);
  CHECK(e->stats().messages == before.messages);
  CHECK(e->conversation(msgs[0].conversation_id)->messages == msgs.size());
}

TEST_CASE("past max_conversations the least recently used conversation is dropped") {
  EngineOptions opt;
  opt.max_conversations = 2;
  auto e = make(opt);
  REQUIRE(e->process(msg("a", "1", "u", "hi")).ok());
  REQUIRE(e->process(msg("b", "1", "u", "hi")).ok());
  REQUIRE(e->process(msg("a", "2", "u", "hi again")).ok());  // a is now the most recent
  REQUIRE(e->process(msg("c", "1", "u", "hi")).ok());        // b goes
  CHECK(e->conversation("a").has_value());
  CHECK_FALSE(e->conversation("b").has_value());
  CHECK(e->conversation("c").has_value());
  CHECK(e->stats().evictions_lru == 1);
  CHECK(e->stats().conversations == 2);
}

TEST_CASE("conversations idle past the TTL are dropped") {
  Clock clock;
  EngineOptions opt;
  opt.idle_ttl = std::chrono::seconds(3600);
  opt.now_ms = clock.fn();
  auto e = make(opt);
  REQUIRE(e->process(msg("old", "1", "u", "are ur parents home")).ok());
  clock.advance(1800 * 1000);
  REQUIRE(e->process(msg("fresh", "1", "u", "hi")).ok());
  clock.advance(1801 * 1000);
  CHECK_FALSE(e->conversation("old").has_value());
  CHECK(e->conversation("fresh").has_value());
  CHECK(e->stats().evictions_ttl == 1);
  SECTION("a message to an expired conversation starts it afresh") {
    auto v = e->process(msg("old", "1", "u", "hi"));
    REQUIRE(v.ok());
    CHECK_FALSE(v->duplicate);
    CHECK(e->conversation("old")->messages == 1);
  }
  SECTION("flush() sweeps them too") {
    clock.advance(3601 * 1000);
    REQUIRE(e->flush().ok());
    CHECK(e->stats().conversations == 0);
  }
}

TEST_CASE("a restart on the same data_dir resumes every conversation exactly") {
  const auto msgs = classic();
  REQUIRE(msgs.size() >= 10);
  std::vector<std::string> uninterrupted;
  {
    auto e = make();
    for (const auto& m : msgs) uninterrupted.push_back(dump(e->process(m).value()));
  }
  test::TempDir dir;
  EngineOptions opt;
  opt.data_dir = dir.path();
  std::vector<std::string> resumed;
  const size_t half = msgs.size() / 2;
  {
    auto e = make(opt);
    for (size_t i = 0; i < half; ++i) resumed.push_back(dump(e->process(msgs[i]).value()));
  }  // destruction flushes
  CHECK(std::filesystem::exists(dir.path() / "vigil.db"));
  {
    auto e = make(opt);
    CHECK(e->stats().restored_conversations == 1);
    // The last message before the restart is still known as a duplicate.
    CHECK(e->process(msgs[half - 1]).value().duplicate);
    for (size_t i = half; i < msgs.size(); ++i) resumed.push_back(dump(e->process(msgs[i]).value()));
    const auto info = e->conversation(msgs[0].conversation_id);
    REQUIRE(info.has_value());
    CHECK(info->suspect_id == "u-a");
    CHECK(info->participants.size() == 2);
  }
  CHECK(resumed == uninterrupted);
}

TEST_CASE("store errors are counted, never crash, and keep the state in memory") {
  test::TempDir dir;
  EngineOptions opt;
  opt.data_dir = dir.path();
  opt.flush_interval = std::chrono::hours(1);  // only explicit flushes
  opt.store_max_bytes = 4096 * 4;              // a tiny "disk"
  auto e = make(opt);
  for (int c = 0; c < 400; ++c) REQUIRE(e->process(msg(id("conv-", c), "1", id("u-", c), "are ur parents home")).ok());
  auto st = e->flush();
  CHECK_FALSE(st.ok());
  CHECK(st.error().code == "store.full");
  CHECK(e->stats().flush_failures >= 1);
  CHECK(e->stats().conversations == 400);
  CHECK(e->conversation("conv-7").has_value());
  CHECK(e->conversation("conv-7")->participants.at(0).stages.size() == 1);
  // Scoring goes on.
  CHECK(e->process(msg("conv-7", "2", "u-7", "dont tell anyone")).ok());

  SECTION("a data_dir that cannot be a folder fails create() with a clear error") {
    test::TempDir d2;
    const auto file = d2.path() / "plain-file";
    { std::ofstream(file) << "x"; }
    EngineOptions bad;
    bad.rules_dir = test::shipped_rules();
    bad.rules_cache_dir = test::rules_cache_dir();
    bad.data_dir = file;
    auto r = Engine::create(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error()[0].code == "store.open_failed");
  }
}

TEST_CASE("conversation() reports risk, suspect, participants and the timeline") {
  auto e = make();
  const auto msgs = classic();
  for (const auto& m : msgs) REQUIRE(e->process(m).ok());
  const auto info = e->conversation(msgs[0].conversation_id);
  REQUIRE(info.has_value());
  CHECK(info->level >= Level::kReview);
  CHECK(info->suspect_id == "u-a");
  CHECK(info->timeline.size() == msgs.size());
  CHECK(info->timeline.back().message_id == msgs.back().message_id);
  REQUIRE(info->participants.size() == 2);
  const auto& child = info->participants[1];
  CHECK(child.sender_id == "u-b");
  CHECK(child.age_band == AgeBand::kMinor);  // disclosed: context for the other participant
  CHECK(child.eligible);                     // only the platform's band exempts a sender
  const auto j = conversation_to_json(*info);
  CHECK(j["participants"][0]["stages"].contains("secrecy"));
  CHECK(j["timeline"].size() == msgs.size());
  CHECK_FALSE(e->conversation("never-seen").has_value());
}

TEST_CASE("the context ring keeps only the last N messages") {
  EngineOptions opt;
  opt.context_messages = 3;
  auto e = make(opt);
  for (int i = 0; i < 10; ++i) REQUIRE(e->process(msg("c", std::to_string(i), "u", id("hello ", i))).ok());
  const auto info = e->conversation("c");
  REQUIRE(info->timeline.size() == 3);
  CHECK(info->timeline[0].message_id == "7");
  CHECK(info->timeline[2].message_id == "9");
}

TEST_CASE("explain names the hits and multipliers behind a verdict") {
  auto e = make();
  auto msgs = classic();
  for (auto& m : msgs)
    if (m.sender_id == "u-b") m.sender_age_band = AgeBand::kMinor;  // the platform says so
  Explanation ex;
  for (const auto& m : msgs) {
    ex = Explanation{};
    REQUIRE(e->process(m, &ex).ok());
  }
  CHECK(ex.sender_id == msgs.back().sender_id);
  CHECK(ex.subject_id == "u-a");
  CHECK(ex.distinct_stages >= 4);
  CHECK(ex.score > 0);
  const auto j = explanation_to_json(ex);
  CHECK(j["multipliers"].contains("other_minor"));
  CHECK(j["not_suspects"].size() == 1);
  CHECK(j["not_suspects"][0] == "u-b");
  REQUIRE(!ex.hits.empty());
  CHECK(!ex.hits[0].rule_id.empty());
}

TEST_CASE("verdicts carry hits with spans into the original text and the rules version") {
  auto e = make();
  const std::string text = "hey r ur parents home rn?";
  auto v = e->process(msg("c", "1", "u", text));
  REQUIRE(v.ok());
  REQUIRE(!v->hits.empty());
  CHECK(v->hits[0].stage == "isolation");
  CHECK(v->hits[0].end <= text.size());
  CHECK(v->hits[0].start < v->hits[0].end);
  CHECK(v->rules_version == e->rules()->version());
  CHECK(v->stages.size() == 1);
}

TEST_CASE("reload_rules swaps in a new snapshot and keeps conversations") {
  auto e = make();
  REQUIRE(e->process(msg("c", "1", "u", "are ur parents home")).ok());
  const auto before = e->rules();
  REQUIRE(e->reload_rules().ok());
  CHECK(e->rules() != before);
  CHECK(e->stats().rule_reloads == 1);
  auto v = e->process(msg("c", "2", "u", "dont tell anyone"));
  REQUIRE(v.ok());
  CHECK(v->stages.size() == 2);
}

TEST_CASE("many threads score many conversations; every message counted once") {
  auto e = make();
  constexpr int kThreads = 4, kConvs = 50, kPer = 20;
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int c = 0; c < kConvs; ++c)
        for (int i = 0; i < kPer; ++i) {
          std::string conv = id("t", t);
          conv += id("-c", c);
          auto m = msg(conv, std::to_string(i), id("u", i % 2), i % 3 ? "hello there" : "r ur parents home");
          if (!e->process(m).ok()) ++errors;
        }
    });
  for (auto& th : threads) th.join();
  CHECK(errors == 0);
  const auto s = e->stats();
  CHECK(s.messages == kThreads * kConvs * kPer);
  CHECK(s.conversations == kThreads * kConvs);
  CHECK(s.hits_by_stage[2] > 0);
}

}  // namespace vigil

namespace vigil {
namespace {

// A store in `dir` written only by flush() (and by the writer when process() waits for it).
EngineOptions explicit_flushes(const test::TempDir& dir) {
  EngineOptions opt;
  opt.data_dir = dir.path();
  opt.flush_interval = std::chrono::hours(1);
  return opt;
}

}  // namespace

TEST_CASE("the context rings are bounded in bytes across the process, oldest texts first") {
  EngineOptions opt;
  opt.max_conversations = 1000;      // one shard: the whole bound in one place
  opt.context_max_bytes = 64 << 10;  // 64 KiB for every ring together
  auto e = make(opt);
  const std::string text(1000, 'a');
  // 200 conversations x 10 texts of 1000 bytes: 2 MB unbounded.
  for (int c = 0; c < 200; ++c)
    for (int i = 0; i < 10; ++i) REQUIRE(e->process(msg(id("ctx-", c), std::to_string(i), "u", text)).ok());
  const EngineStats s = e->stats();
  CHECK(s.context_bytes <= opt.context_max_bytes);
  CHECK(s.context_bytes >= opt.context_max_bytes / 2);
  CHECK(s.context_trimmed > 0);
  // The conversation active last keeps its texts; the first ones gave theirs up.
  CHECK(e->conversation("ctx-199")->timeline.size() == 10);
  CHECK(e->conversation("ctx-0")->timeline.empty());
  // Its state is untouched: only the texts went.
  CHECK(e->conversation("ctx-0")->messages == 10);

  SECTION("with many shards the sum stays under the bound too") {
    EngineOptions wide;
    wide.context_max_bytes = 256 << 10;  // default max_conversations: 64 shards
    auto w = make(wide);
    for (int c = 0; c < 2000; ++c) REQUIRE(w->process(msg(id("w-", c), "1", "u", text)).ok());
    CHECK(w->stats().context_bytes <= wide.context_max_bytes);
    CHECK(w->stats().context_trimmed > 0);
  }
}

TEST_CASE("the unflushed backlog and its age are reported, and flush() clears them") {
  test::TempDir dir;
  EngineOptions opt = explicit_flushes(dir);
  auto e = make(opt);
  for (int c = 0; c < 10; ++c) REQUIRE(e->process(msg(id("lag-", c), "1", "u", "hello")).ok());
  REQUIRE(e->process(msg("lag-0", "2", "u", "hello again")).ok());  // already dirty: still 10
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EngineStats s = e->stats();
  CHECK(s.unflushed_conversations == 10);
  CHECK(s.unflushed_age_ms >= 30);
  REQUIRE(e->flush().ok());
  s = e->stats();
  CHECK(s.unflushed_conversations == 0);
  CHECK(s.unflushed_age_ms == 0);
  CHECK(s.flushed_conversations == 10);
}

TEST_CASE("past max_unflushed, process() waits for the writer instead of letting the backlog grow") {
  test::TempDir dir;
  EngineOptions opt = explicit_flushes(dir);
  opt.max_unflushed = 100;
  auto e = make(opt);
  size_t peak = 0;
  for (int c = 0; c < 1000; ++c) {
    REQUIRE(e->process(msg(id("bp-", c), "1", "u", "hello")).ok());
    peak = std::max<size_t>(peak, e->stats().unflushed_conversations);
  }
  const EngineStats s = e->stats();
  CHECK(peak <= 100);
  CHECK(s.backpressure_waits > 0);
  CHECK(s.flushed_conversations >= 900);
  CHECK(s.flush_failures == 0);
}

TEST_CASE("a failing store is reported once per change of state, counted per cycle, and never waits") {
  test::TempDir dir;
  EngineOptions opt = explicit_flushes(dir);
  opt.store_max_bytes = 4096 * 4;  // a tiny "disk"
  opt.max_unflushed = 50;          // backpressure must not hold messages while the store fails
  auto events = std::make_shared<std::vector<StorageEvent>>();
  auto mu = std::make_shared<std::mutex>();
  opt.on_storage_event = [events, mu](const StorageEvent& ev) {
    std::lock_guard lock(*mu);
    events->push_back(ev);
  };
  auto e = make(opt);
  CHECK(e->store_status().ok());
  for (int c = 0; c < 400; ++c) REQUIRE(e->process(msg(id("full-", c), "1", "u", "are ur parents home")).ok());
  for (int i = 0; i < 3; ++i) CHECK_FALSE(e->flush().ok());
  for (int c = 400; c < 500; ++c) REQUIRE(e->process(msg(id("full-", c), "1", "u", "hello")).ok());
  const Status<> st = e->store_status();
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().code == "store.full");
  CHECK(st.error().file == (dir.path() / "vigil.db").string());
  CHECK(e->stats().store_failing);
  CHECK(e->stats().flush_failures >= 3);
  std::lock_guard lock(*mu);
  REQUIRE(events->size() == 1);
  CHECK(events->at(0).kind == StorageEvent::kStoreFailing);
  CHECK(events->at(0).error.code == "store.full");
}

TEST_CASE("a store file that is not a database is an error naming the file") {
  test::TempDir dir;
  { std::ofstream(dir.path() / "vigil.db") << std::string(8192, 'x'); }
  EngineOptions opt;
  opt.rules_dir = test::shipped_rules();
  opt.rules_cache_dir = test::rules_cache_dir();
  opt.data_dir = dir.path();
  auto r = Engine::create(opt);
  REQUIRE_FALSE(r.ok());
  INFO(to_text(r.error()));
  CHECK(r.error()[0].code == "store.corrupt");
  CHECK(r.error()[0].file == (dir.path() / "vigil.db").string());
}

TEST_CASE("a compiled-rules cache that cannot be written is counted and reported once") {
  test::TempDir rules, scratch;
  const std::filesystem::path src = test::source_dir();
  std::filesystem::create_directories(rules.path() / "en");
  std::filesystem::copy_file(src / "rules/stages.yaml", rules.path() / "stages.yaml");
  std::filesystem::copy_file(src / "tests/fixtures/rules/valid/en/core.yaml", rules.path() / "en/core.yaml");
  { std::ofstream(scratch.path() / "not-a-folder") << "x"; }
  std::vector<StorageEvent> events;
  EngineOptions opt;
  opt.rules_dir = rules.path();
  opt.rules_cache_dir = scratch.path() / "not-a-folder" / "hs-cache";
  opt.on_storage_event = [&events](const StorageEvent& ev) { events.push_back(ev); };
  auto created = Engine::create(opt);
  REQUIRE(created.ok());
  auto& e = *created.value();
  CHECK(e.stats().rules_cache_write_failures == 1);
  REQUIRE(e.reload_rules().ok());
  CHECK(e.stats().rules_cache_write_failures == 2);
  REQUIRE(events.size() == 1);  // once per change, not per load
  CHECK(events[0].kind == StorageEvent::kRulesCacheFailing);
  CHECK(events[0].error.code == "rules.cache_write_failed");
  CHECK(events[0].error.file.find("not-a-folder") != std::string::npos);
}

}  // namespace vigil
