// End-to-end engine benchmark: messages/s of Engine::process() (validate, normalise,
// match, score, verdict) on one thread and on two, next to a bare hs_scan of the same
// raw messages with the same Hyperscan database (the ceiling); and the memory a
// two-party conversation's state takes. Synthetic corpus with a fixed seed: 20,000
// two-party conversations of 50 short messages each (1M messages, EN and ZH mixed,
// about 35 bytes), 3% of messages carrying a rule's own example phrase.
//
// BM_Replay is `vigil replay`'s loop (cli/replay_command.cpp) on the same messages
// written as JSONL: read a line with MessageStream, process it, append the verdict's JSON
// to the output buffer; its ratio to BM_EngineProcess is the cost of the JSON around
// the engine.
//
// Rules: $VIGIL_BENCH_RULES, else ./rules of the source tree. Run and record as
// BENCHMARKS.md ("Engine", "Replay") says.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "plugin/engine/conversation_table.h"
#include "plugin/engine/engine.h"
#include "plugin/engine/message_json.h"
#include "plugin/engine/message_stream.h"
#include "plugin/normalize/normalizer.h"
#include "plugin/rules/matcher.h"
#include "plugin/rules/rule_set_impl.h"

namespace {

constexpr int kConversations = 20'000;
constexpr int kPerConversation = 50;

const char* const kWordsEn[] = {"hey",   "so",    "did",  "you",   "see",    "the",  "new",  "map",   "lol",
                                "ok",    "later", "we",   "won",   "again",  "math", "test", "was",   "hard",
                                "going", "to",    "eat",  "now",   "brb",    "nice", "skin", "team",  "lobby",
                                "tmrw",  "idk",   "what", "about", "friday", "yeah", "no",   "maybe", "haha"};
const char* const kWordsZh[] = {"你好", "今天", "下午", "我们", "一起", "打球", "作业", "好难", "哈哈",
                                "晚上", "电影", "好看", "吃饭", "了吗", "明天", "见",   "老师", "考试"};

std::string random_text(std::mt19937& rng, const std::vector<std::string>& phrases) {
  std::uniform_int_distribution<int> pct(0, 99);
  if (!phrases.empty() && pct(rng) < 3) return phrases[rng() % phrases.size()];
  std::string s;
  if (pct(rng) < 30) {
    for (int n = 4 + static_cast<int>(rng() % 6); n > 0; --n) s += kWordsZh[rng() % std::size(kWordsZh)];
  } else {
    for (int n = 5 + static_cast<int>(rng() % 5); n > 0; --n) {
      if (!s.empty()) s.push_back(' ');
      s += kWordsEn[rng() % std::size(kWordsEn)];
    }
  }
  return s;
}

struct Corpus {
  std::unique_ptr<vigil::Engine> engine;
  std::vector<vigil::Message> messages;  // conversation-major: conversation c is [c*50, c*50+50)
  std::string rules_dir;

  Corpus() {
    const char* env = std::getenv("VIGIL_BENCH_RULES");
    rules_dir = env && *env ? env : VIGIL_SOURCE_DIR "/rules";
    vigil::EngineOptions opt;
    opt.rules_dir = rules_dir;
    auto e = vigil::Engine::create(opt);
    if (!e) {
      std::cerr << "engine_bench: " << vigil::to_text(e.error());
      std::abort();
    }
    engine = std::move(e).value();
    std::vector<std::string> phrases;
    for (const vigil::Rule& r : engine->rules()->rules())
      phrases.insert(phrases.end(), r.examples_match.begin(), r.examples_match.end());
    std::mt19937 rng(2026);
    messages.reserve(size_t{kConversations} * kPerConversation);
    size_t bytes = 0;
    for (int c = 0; c < kConversations; ++c)
      for (int i = 0; i < kPerConversation; ++i) {
        vigil::Message m;
        m.conversation_id = "bench-" + std::to_string(c);
        m.message_id = "m-" + std::to_string(i);
        m.sender_id = i % 2 ? "kid-" + std::to_string(c) : "other-" + std::to_string(c);
        m.text = random_text(rng, phrases);
        bytes += m.text.size();
        messages.push_back(std::move(m));
      }
    benchmark::AddCustomContext("rules",
                                rules_dir + " (" + std::to_string(engine->rules()->rules().size()) + " rules)");
    benchmark::AddCustomContext("corpus", std::to_string(messages.size()) + " messages in " +
                                              std::to_string(kConversations) + " conversations, mean " +
                                              std::to_string(bytes / messages.size()) + " bytes");
  }
};

Corpus& corpus() {
  static Corpus c;
  return c;
}

// Each thread owns a disjoint half of the conversations and walks its messages in
// order, round and round (ids repeat only every 50 messages of a conversation: past the
// duplicate window, so every call is scored).
void run_process(benchmark::State& state, vigil::Engine& engine) {
  Corpus& c = corpus();
  const size_t n = c.messages.size();
  const size_t per = n / static_cast<size_t>(state.threads());
  const size_t begin = per * static_cast<size_t>(state.thread_index());
  size_t i = 0, bytes = 0, flagged = 0;
  for (auto _ : state) {
    const vigil::Message& m = c.messages[begin + i];
    i = i + 1 == per ? 0 : i + 1;
    auto v = engine.process(m);
    flagged += v.ok() && v->level >= vigil::Level::kReview;
    bytes += m.text.size();
  }
  benchmark::DoNotOptimize(flagged);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

// The detection core alone on the same messages (what process() adds is the rest).
void BM_NormalizeMatchOnly(benchmark::State& state) {
  Corpus& c = corpus();
  auto normalizer = std::move(vigil::Normalizer::create().value());
  vigil::Matcher matcher(c.engine->rules());
  auto scratch = vigil::make_normalize_scratch();
  vigil::NormalizedText text;
  vigil::HitList hits;
  size_t i = 0, total = 0;
  for (auto _ : state) {
    normalizer->normalize(c.messages[i].text, text, *scratch);
    i = i + 1 == c.messages.size() ? 0 : i + 1;
    if (!matcher.match(text, hits).ok()) state.SkipWithError("the Hyperscan scan failed");
    total += hits.size();
  }
  benchmark::DoNotOptimize(total);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

// Default options: the last 50 messages of each conversation kept in memory.
void BM_EngineProcess(benchmark::State& state) { run_process(state, *corpus().engine); }

// The same without the in-memory context ring (context_messages = 0): what keeping
// the last messages' text costs.
void BM_EngineProcessNoContext(benchmark::State& state) {
  static std::unique_ptr<vigil::Engine> engine = [] {
    vigil::EngineOptions opt;
    opt.rules_dir = corpus().rules_dir;
    opt.context_messages = 0;
    return std::move(vigil::Engine::create(opt)).value();
  }();
  run_process(state, *engine);
}

// `vigil replay` on one thread, per message: the JSONL line read and validated by the
// sidecar's reader (MessageStream), Engine::process on a fresh engine, the verdict
// written by append_verdict_json into a buffer emptied every 64 KiB (the command writes
// it to stdout there). The corpus's messages in the same order as BM_EngineProcess, as
// one JSONL text read round and round (the synthetic ts keeps growing).
void BM_Replay(benchmark::State& state) {
  static const std::string jsonl = [] {
    std::string out;
    for (const vigil::Message& m : corpus().messages) {
      out += nlohmann::json{{"conversation_id", m.conversation_id},
                            {"message_id", m.message_id},
                            {"sender_id", m.sender_id},
                            {"text", m.text}}
                 .dump();
      out += '\n';
    }
    return out;
  }();
  static std::unique_ptr<vigil::Engine> engine = [] {
    vigil::EngineOptions opt;
    opt.rules_dir = corpus().rules_dir;
    return std::move(vigil::Engine::create(opt)).value();
  }();
  std::istringstream in(jsonl);
  vigil::MessageStream stream;
  stream.open(in, "bench");
  vigil::Message m;
  std::string out;
  size_t flagged = 0, bad = 0;
  for (auto _ : state) {
    auto r = stream.next(m);
    if (r == vigil::MessageStream::kEnd) {
      in.clear();
      in.seekg(0);
      r = stream.next(m);
    }
    if (r != vigil::MessageStream::kOk) {
      ++bad;
      continue;
    }
    auto v = engine->process(m);
    if (!v) {
      ++bad;
      continue;
    }
    flagged += v->level >= vigil::Level::kReview;
    vigil::append_verdict_json(*v, out);
    out += '\n';
    if (out.size() >= size_t{1} << 16) {
      benchmark::DoNotOptimize(out.data());
      out.clear();
    }
  }
  if (bad) state.SkipWithError("a line was refused");
  benchmark::DoNotOptimize(flagged);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

int on_match(unsigned int, unsigned long long, unsigned long long, unsigned int, void* ctx) {
  ++*static_cast<size_t*>(ctx);
  return 0;
}

// The ceiling: hs_scan of each raw message with the engine's own database.
void BM_BareHsScan(benchmark::State& state) {
  Corpus& c = corpus();
  const vigil::RuleSetImpl& impl = c.engine->rules()->impl();
  hs_scratch_t* raw = nullptr;
  if (hs_clone_scratch(impl.scratch_prototype.get(), &raw) != HS_SUCCESS) {
    state.SkipWithError("hs_clone_scratch failed");
    return;
  }
  vigil::HsScratchPtr scratch(raw);
  size_t i = 0, matches = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& t = c.messages[i].text;
    i = i + 1 == c.messages.size() ? 0 : i + 1;
    hs_scan(impl.db.get(), t.data(), static_cast<unsigned int>(t.size()), 0, scratch.get(), on_match, &matches);
    bytes += t.size();
  }
  benchmark::DoNotOptimize(matches);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

// Heap bytes per conversation in a fresh engine (no message text: the context ring off),
// measured with mallinfo2 over `conversations` conversations in which each of `senders`
// senders writes once. Sender ids are `prefix` + the sender's number + the
// conversation's. In a two-party chat both participants live inside the state; in a
// group the others take one heap array (72 B each, capacity doubling), and the id list
// leaves std::string's small buffer once the ids pass 15 bytes together.
size_t state_bytes(const std::string& prefix, int senders, int conversations) {
  vigil::EngineOptions opt;
  opt.rules_dir = corpus().rules_dir;
  opt.context_messages = 0;
  auto e = std::move(vigil::Engine::create(opt)).value();
  vigil::Message m;
  m.text = "hi";
  // Warm this thread's scratch (matcher for this engine's rules) before measuring.
  m.conversation_id = m.sender_id = m.message_id = "warm-up";
  // A refused message would show in the conversation count checked below.
  (void)e->process(m);
  const size_t before = mallinfo2().uordblks + mallinfo2().hblkhd;
  for (int c = 0; c < conversations; ++c)
    for (int k = 0; k < senders; ++k) {
      m.conversation_id = "conv-" + std::to_string(c);
      m.message_id = std::to_string(k);
      m.sender_id = prefix + std::to_string(k) + "-" + std::to_string(c);
      (void)e->process(m);  // a refused one would show in the conversation count checked below
    }
  if (e->stats().conversations != static_cast<uint64_t>(conversations) + 1)
    std::cerr << "engine_bench: only " << e->stats().conversations << " conversations\n";
  return (mallinfo2().uordblks + mallinfo2().hblkhd - before) / conversations;
}

void report_state_bytes() {
  benchmark::AddCustomContext("state_bytes_per_two_party_conversation",
                              std::to_string(state_bytes("", 2, 200'000)) + " with ids of 3-8 bytes, " +
                                  std::to_string(state_bytes("user-", 2, 200'000)) +
                                  " with ids of 8-13 bytes (ConversationState " +
                                  std::to_string(sizeof(vigil::ConversationState)) + ", slot " +
                                  std::to_string(sizeof(vigil::ConversationSlot)) + ")");
  benchmark::AddCustomContext("state_bytes_per_50_party_conversation",
                              std::to_string(state_bytes("user-", 50, 4'000)) + " with ids of 9-11 bytes");
}

}  // namespace

BENCHMARK(BM_BareHsScan);
BENCHMARK(BM_NormalizeMatchOnly);
BENCHMARK(BM_EngineProcess)->Threads(1)->UseRealTime();
BENCHMARK(BM_EngineProcess)->Threads(2)->UseRealTime();
BENCHMARK(BM_EngineProcessNoContext)->Threads(1)->UseRealTime();
BENCHMARK(BM_Replay)->Threads(1)->UseRealTime();

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  corpus();
  report_state_bytes();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
