// The Engine's lifecycle and bookkeeping: validation, duplicates, LRU and TTL eviction
// (with an injected clock), persistence across a restart, store errors, reload, the
// conversation view and the counters. Scores come from the shipped ./rules.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <thread>

#include "plugin/engine/engine.h"
#include "plugin/engine/message_json.h"
#include "plugin/scoring/explanation.h"
#include "tests/plugin/engine/engine_test_support.h"

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
  for (int c = 0; c < 400; ++c)
    REQUIRE(e->process(msg(id("conv-", c), "1", id("u-", c), "are ur parents home")).ok());
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
