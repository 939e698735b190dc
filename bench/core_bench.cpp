// Detection-core benchmark: messages/s of normalise+match on one core, next to a bare
// hs_scan of the same raw messages with the same Hyperscan database (the ceiling).
// The corpus is synthetic and generated in memory with a fixed seed: 1M short chat
// messages (median about 35 bytes), English and Chinese mixed, some with the usual
// disguises (capitals, leetspeak, spacing, full-width), a few carrying rule phrases.
//
// Rules: $VIGIL_BENCH_RULES, else ./rules of the source tree when it loads, else the
// test fixtures. Run and record as BENCHMARKS.md says.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <random>

#include "plugin/normalize/normalizer.h"
#include "plugin/rules/matcher.h"
#include "plugin/rules/rule_set.h"
#include "plugin/rules/rule_set_impl.h"

namespace {

constexpr size_t kMessages = 1'000'000;

const std::vector<std::string> kEnglish = {
    "hey",    "lol",   "ok",    "so",       "what",    "are",      "you",  "doing",   "today", "later", "game",
    "play",   "won",   "lost",  "match",    "school",  "homework", "math", "teacher", "lunch", "pizza", "dog",
    "cat",    "movie", "music", "song",     "new",     "video",    "cool", "nice",    "yeah",  "no",    "idk",
    "brb",    "gtg",   "haha",  "team",     "level",   "boss",     "skin", "server",  "join",  "party", "we",
    "should", "the",   "a",     "is",       "it",      "this",     "that", "my",      "your",  "ur",    "when",
    "where",  "how",   "why",   "tomorrow", "weekend", "fun",      "busy", "tired",   "sleep", "bye"};
const std::vector<std::string> kChinese = {"你好", "今天", "作业", "老师", "游戏", "一起", "玩",   "吗",
                                           "我们", "明天", "学校", "吃饭", "好的", "哈哈", "周末", "电影",
                                           "音乐", "同学", "考试", "怎么", "什么", "时候", "没有", "可以",
                                           "下课", "上学", "朋友", "妈妈", "回家", "睡觉", "开心", "厉害"};
const std::vector<std::string> kEmoji = {"😂", "👍", "🙂", "🎮"};

// One message of about 35 bytes; Chinese a third of the time.
std::string make_message(std::mt19937_64& rng, const std::vector<std::string>& phrases) {
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  std::string m;
  const size_t roll = pick(100);
  if (roll < 33) {
    const size_t words = 5 + pick(6);  // 3 bytes a character, 2 characters a word
    for (size_t i = 0; i < words; ++i) m += kChinese[pick(kChinese.size())];
  } else {
    const size_t words = 5 + pick(5);
    for (size_t i = 0; i < words; ++i) {
      if (!m.empty()) m += ' ';
      m += kEnglish[pick(kEnglish.size())];
    }
  }
  if (!phrases.empty() && pick(100) < 3) m += " " + phrases[pick(phrases.size())];
  const size_t disguise = pick(100);
  if (disguise < 5) {
    std::transform(m.begin(), m.end(), m.begin(), [](char c) { return c >= 'a' && c <= 'z' ? c - 32 : c; });
  } else if (disguise < 8) {
    std::replace(m.begin(), m.end(), 'e', '3');
    std::replace(m.begin(), m.end(), 'o', '0');
  } else if (disguise < 10) {
    m += " " + kEmoji[pick(kEmoji.size())];
  } else if (disguise < 11) {
    m += " ｆｕｎ";
  }
  return m;
}

struct Fixture {
  std::shared_ptr<const vigil::RuleSet> rules;
  std::unique_ptr<vigil::Normalizer> normalizer;
  std::vector<std::string> corpus;
  std::string rules_dir;

  Fixture() {
    const char* env = std::getenv("VIGIL_BENCH_RULES");
    std::vector<std::string> dirs;
    if (env && *env) dirs.push_back(env);
    dirs.push_back(VIGIL_SOURCE_DIR "/rules");
    dirs.push_back(VIGIL_SOURCE_DIR "/tests/fixtures/rules/valid");
    vigil::RuleLoadOptions options;
    options.run_examples = false;
    for (const std::string& dir : dirs) {
      auto loaded = vigil::RuleSet::load(dir, options);
      if (loaded.ok()) {
        rules = *loaded;
        rules_dir = dir;
        break;
      }
      std::cerr << "core_bench: " << dir << " does not load, trying the next folder\n";
    }
    if (!rules) std::abort();
    normalizer = std::move(vigil::Normalizer::create().value());
    std::vector<std::string> phrases;
    for (const vigil::Rule& r : rules->rules())
      phrases.insert(phrases.end(), r.examples_match.begin(), r.examples_match.end());
    std::mt19937_64 rng(35);
    corpus.reserve(kMessages);
    for (size_t i = 0; i < kMessages; ++i) corpus.push_back(make_message(rng, phrases));
    std::vector<size_t> sizes;
    size_t bytes = 0;
    for (const std::string& m : corpus) {
      sizes.push_back(m.size());
      bytes += m.size();
    }
    std::nth_element(sizes.begin(), sizes.begin() + static_cast<long>(sizes.size() / 2), sizes.end());
    benchmark::AddCustomContext("rules", rules_dir + " (" + std::to_string(rules->rules().size()) + " rules)");
    benchmark::AddCustomContext("corpus", std::to_string(corpus.size()) + " messages, median " +
                                              std::to_string(sizes[sizes.size() / 2]) + " bytes, mean " +
                                              std::to_string(bytes / corpus.size()) + " bytes");
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// The corpus, message after message, round and round.
class Cycle {
 public:
  explicit Cycle(const std::vector<std::string>& corpus) : corpus_(corpus) {}
  const std::string& next() {
    const std::string& m = corpus_[i_];
    i_ = i_ + 1 == corpus_.size() ? 0 : i_ + 1;
    bytes_ += m.size();
    return m;
  }
  size_t bytes() const { return bytes_; }

 private:
  const std::vector<std::string>& corpus_;
  size_t i_ = 0;
  size_t bytes_ = 0;
};

void report(benchmark::State& state, size_t bytes) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

// The whole detection core for one message: normalise, Hyperscan, RE2 on the hits.
void BM_NormalizeMatch(benchmark::State& state) {
  Fixture& f = fixture();
  vigil::Matcher matcher(f.rules);
  auto scratch = vigil::make_normalize_scratch();
  vigil::NormalizedText text;
  vigil::HitList hits;
  Cycle messages(f.corpus);
  size_t total_hits = 0;
  for (auto _ : state) {
    f.normalizer->normalize(messages.next(), text, *scratch);
    if (!matcher.match(text, hits).ok()) state.SkipWithError("the Hyperscan scan failed");
    total_hits += hits.size();
  }
  benchmark::DoNotOptimize(total_hits);
  report(state, messages.bytes());
  state.counters["hits_per_msg"] = static_cast<double>(total_hits) / static_cast<double>(state.iterations());
}

// The normaliser alone.
void BM_Normalize(benchmark::State& state) {
  Fixture& f = fixture();
  auto scratch = vigil::make_normalize_scratch();
  vigil::NormalizedText text;
  Cycle messages(f.corpus);
  for (auto _ : state) {
    f.normalizer->normalize(messages.next(), text, *scratch);
    benchmark::DoNotOptimize(text.text.data());
  }
  report(state, messages.bytes());
}

// The first 100k messages of the corpus, normalised beforehand.
const std::vector<vigil::NormalizedText>& normalized_corpus() {
  static const std::vector<vigil::NormalizedText> normalized = [] {
    Fixture& f = fixture();
    std::vector<vigil::NormalizedText> out(std::min<size_t>(f.corpus.size(), 100'000));
    auto scratch = vigil::make_normalize_scratch();
    for (size_t i = 0; i < out.size(); ++i) f.normalizer->normalize(f.corpus[i], out[i], *scratch);
    return out;
  }();
  return normalized;
}

// The matcher alone (Hyperscan, then RE2 on the rules that hit), on normalised text.
void BM_Match(benchmark::State& state) {
  Fixture& f = fixture();
  const auto& normalized = normalized_corpus();
  vigil::Matcher matcher(f.rules);
  vigil::HitList hits;
  size_t i = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    const vigil::NormalizedText& text = normalized[i];
    i = i + 1 == normalized.size() ? 0 : i + 1;
    if (!matcher.match(text, hits).ok()) state.SkipWithError("the Hyperscan scan failed");
    benchmark::DoNotOptimize(hits.data());
    bytes += text.text.size();
  }
  report(state, bytes);
}

// A scratch of the benchmark's own, as each Matcher has.
vigil::HsScratchPtr clone_scratch(const vigil::RuleSetImpl& impl) {
  hs_scratch_t* raw = nullptr;
  if (hs_clone_scratch(impl.scratch_prototype.get(), &raw) != HS_SUCCESS) std::abort();
  return vigil::HsScratchPtr(raw);
}

int count_match(unsigned int, unsigned long long, unsigned long long, unsigned int, void* ctx) {
  ++*static_cast<size_t*>(ctx);
  return 0;
}

// The ceiling: one hs_scan of each raw message with the same database, nothing else.
void BM_BareHsScan(benchmark::State& state) {
  Fixture& f = fixture();
  const vigil::RuleSetImpl& impl = f.rules->impl();
  vigil::HsScratchPtr scratch = clone_scratch(impl);
  Cycle messages(f.corpus);
  size_t matches = 0;
  for (auto _ : state) {
    const std::string& m = messages.next();
    hs_scan(impl.db.get(), m.data(), static_cast<unsigned int>(m.size()), 0, scratch.get(), count_match, &matches);
  }
  benchmark::DoNotOptimize(matches);
  report(state, messages.bytes());
  state.counters["hs_matches_per_msg"] = static_cast<double>(matches) / static_cast<double>(state.iterations());
}

// hs_scan alone over the same normalised text BM_Match sees: what Match adds to it is
// RE2 confirmation and bookkeeping.
void BM_BareHsScanNormalized(benchmark::State& state) {
  Fixture& f = fixture();
  const auto& normalized = normalized_corpus();
  const vigil::RuleSetImpl& impl = f.rules->impl();
  vigil::HsScratchPtr scratch = clone_scratch(impl);
  size_t i = 0;
  size_t matches = 0;
  for (auto _ : state) {
    const std::string& m = normalized[i].text;
    i = i + 1 == normalized.size() ? 0 : i + 1;
    hs_scan(impl.db.get(), m.data(), static_cast<unsigned int>(m.size()), 0, scratch.get(), count_match, &matches);
  }
  benchmark::DoNotOptimize(matches);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

}  // namespace

BENCHMARK(BM_BareHsScan);
BENCHMARK(BM_BareHsScanNormalized);
BENCHMARK(BM_Normalize);
BENCHMARK(BM_Match);
BENCHMARK(BM_NormalizeMatch);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  fixture();  // builds the corpus first, so its description is in the context
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
