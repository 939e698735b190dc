// The cross-check (in the spirit of Hyperscan's hscollider): on a generated corpus of
// chat messages, the Hyperscan path (Matcher) and the RE2-only path give identical hits,
// and Hyperscan reports exactly the patterns RE2 finds a match for, before any `unless`
// veto, so neither engine may see a match the other misses.
#include <catch2/catch.hpp>

#include <filesystem>
#include <random>
#include <set>

#include "plugin/rules/rule_set_impl.h"
#include "rules_test_util.h"

namespace {

#ifdef VIGIL_TEST_SANITIZED
constexpr size_t kMessages = 20'000;
#else
constexpr size_t kMessages = 40'000;  // ~1 min on one idle core with the shipped packs
#endif

const std::vector<std::string> kWords = {
    "hey",     "lol",     "ok",       "so",    "what",   "are",    "you",    "doing", "my",    "your",   "ur",
    "parents", "mom",     "home",     "tell",  "dont",   "anyone", "add",    "me",    "on",    "snap",   "discord",
    "meet",    "up",      "irl",      "im",    "i",      "am",     "13",     "7",     "grade", "year",   "how",
    "old",     "minutes", "secret",   "our",   "little", "game",   "school", "is",    "there", "around", "in",
    "person",  "twenty",  "thirteen", "years", "x",      "r",      "u",      "haha",  "!",     "?",      ",",
    "你",      "我",      "加",       "个",    "微信",   "vx",     "不要",   "告诉",  "爸妈",  "一个人", "在家",
    "吗",      "岁",      "初一",     "小学",  "五年级", "十三",   "今年",   "好的",  "吧",    "作业",   "游戏"};

// Rule examples, their halves, and random words glued together: near-misses as well as
// hits, so the engines disagree if they ever would.
std::vector<std::string> make_corpus(const vigil::RuleSet& rules, size_t n) {
  std::vector<std::string> examples;
  for (const vigil::Rule& r : rules.rules()) {
    examples.insert(examples.end(), r.examples_match.begin(), r.examples_match.end());
    examples.insert(examples.end(), r.examples_no_match.begin(), r.examples_no_match.end());
  }
  std::mt19937_64 rng(20261128);
  auto pick = [&](size_t size) { return static_cast<size_t>(rng() % size); };
  std::vector<std::string> corpus;
  corpus.reserve(n);
  while (corpus.size() < n) {
    std::string m;
    const size_t parts = 1 + pick(4);
    for (size_t p = 0; p < parts; ++p) {
      if (!m.empty() && pick(4) != 0) m += ' ';
      const size_t kind = pick(10);
      if (kind < 5 || examples.empty()) {
        m += kWords[pick(kWords.size())];
      } else if (kind < 8) {
        m += examples[pick(examples.size())];
      } else {
        // A slice of an example: cut on a byte, so invalid UTF-8 gets in too.
        const std::string& e = examples[pick(examples.size())];
        const size_t from = pick(e.size() + 1);
        m += e.substr(from, pick(e.size() - from + 1));
      }
    }
    corpus.push_back(std::move(m));
  }
  return corpus;
}

struct Collected {
  std::vector<uint32_t> ids;
};

int collect(unsigned int id, unsigned long long, unsigned long long, unsigned int, void* ctx) {
  static_cast<Collected*>(ctx)->ids.push_back(id);
  return 0;
}

// Runs both checks over the corpus; returns the number of hits seen.
size_t cross_check(const std::shared_ptr<const vigil::RuleSet>& rules) {
  const vigil::RuleSetImpl& impl = rules->impl();
  REQUIRE(impl.db != nullptr);
  hs_scratch_t* raw = nullptr;
  REQUIRE(hs_clone_scratch(impl.scratch_prototype.get(), &raw) == HS_SUCCESS);
  vigil::HsScratchPtr scratch(raw);
  vigil::Matcher matcher(rules);
  auto norm_scratch = vigil::make_normalize_scratch();
  vigil::NormalizedText text;
  vigil::HitList hs_hits;
  vigil::HitList re2_hits;
  std::vector<re2::StringPiece> sub(1);
  size_t total = 0;
  size_t disagreements = 0;
  for (const std::string& message : make_corpus(*rules, kMessages)) {
    vigil::test::normalizer().normalize(message, text, *norm_scratch);
    REQUIRE(matcher.match(text, hs_hits).ok());
    vigil::match_with_re2_only(*rules, text, re2_hits);
    total += hs_hits.size();
    bool same = hs_hits.size() == re2_hits.size();
    for (size_t i = 0; same && i < hs_hits.size(); ++i) {
      const vigil::Hit& a = hs_hits[i];
      const vigil::Hit& b = re2_hits[i];
      same = a.rule == b.rule && a.start == b.start && a.end == b.end && a.norm_start == b.norm_start &&
             a.norm_end == b.norm_end && a.age == b.age;
    }
    // Raw engines, before confirmation and vetoes.
    Collected c;
    hs_scan(impl.db.get(), text.text.data(), static_cast<unsigned>(text.text.size()), 0, scratch.get(), collect, &c);
    // Per pattern: the match ids Hyperscan reports, and those whose RE2 finds a match.
    const std::set<uint32_t> by_hs(c.ids.begin(), c.ids.end());
    std::set<uint32_t> by_re2;
    const re2::StringPiece input(text.text);
    for (uint32_t r : impl.active) {
      const auto& patterns = impl.compiled[r].patterns;
      for (uint32_t p = 0; p < patterns.size(); ++p) {
        if (patterns[p].re->Match(input, 0, input.size(), re2::RE2::UNANCHORED, nullptr, 0)) {
          by_re2.insert(impl.first_id[r] + p);
        }
      }
    }
    same = same && by_hs == by_re2;
    if (!same && ++disagreements <= 5) {
      UNSCOPED_INFO("engines disagree on normalised message '" << text.text << "'");
    }
  }
  CHECK(disagreements == 0);
  return total;
}

}  // namespace

TEST_CASE("Hyperscan and RE2-only give identical hits on a generated corpus (fixture packs)") {
  const size_t hits = cross_check(vigil::test::valid_rules());
  // The corpus is built from the examples, so a large share of messages must hit.
  CHECK(hits > kMessages / 10);
}

TEST_CASE("Hyperscan and RE2-only give identical hits on a generated corpus (shipped packs)") {
  const std::string dir = VIGIL_SOURCE_DIR "/rules";
  auto loaded = vigil::RuleSet::load(dir);
  if (!loaded.ok()) {
    WARN("the shipped rules in " << dir << " do not load yet; skipped:\n" << vigil::to_text(loaded.error()));
    return;
  }
  CHECK(cross_check(*loaded) > 0);
}
