// The Matcher over the valid fixture packs: unless vetoes, statuses, literal escaping,
// age captures, spans in the original text, captures for explain, and agreement with
// the RE2-only path.
#include <catch2/catch.hpp>

#include <cstdint>
#include <thread>

#include "plugin/rules/hit_captures.h"
#include "rules_test_util.h"
#include "tests/plugin/hs_fault.h"

using vigil::Hit;
using vigil::HitList;
using vigil::test::match;
using vigil::test::valid_rules;

namespace {

const Hit* find_hit(const vigil::test::Matched& m, const std::string& id) {
  const auto& rules = *valid_rules();
  for (const Hit& h : m.hits) {
    if (rules.rules()[h.rule].id == id) return &h;
  }
  return nullptr;
}

int age_of(const std::string& text, const std::string& id) {
  const auto m = match(valid_rules(), text);
  const Hit* h = find_hit(m, id);
  INFO(text);
  REQUIRE(h != nullptr);
  return h->age;
}

}  // namespace

TEST_CASE("a hit carries its rule and the span in the normalised and original text") {
  const auto m = match(valid_rules(), "ok but Dont Tell Your Parents, alright");
  const Hit* h = find_hit(m, "test.en.secrecy.dont_tell");
  REQUIRE(h != nullptr);
  CHECK(h->norm_start == 7);
  CHECK(h->norm_end == 29);
  CHECK(h->start == 7);
  CHECK(h->end == 29);
  CHECK(h->age == -1);
}

TEST_CASE("spans are mapped back through the offset map to the original text") {
  // As if the original were "xx D.O.N.T tell anyone" with the dots removed.
  const std::string original = "xx D.O.N.T tell anyone";
  vigil::NormalizedText text;
  text.text = "xx dont tell anyone";
  for (uint32_t i = 0; i < 3; ++i) text.origin.push_back({i, i + 1});
  for (uint32_t i = 0; i < 4; ++i) text.origin.push_back({3 + 2 * i, 4 + 2 * i});  // d o n t
  for (uint32_t i = 10; i < original.size(); ++i) text.origin.push_back({i, i + 1});
  REQUIRE(text.origin.size() == text.text.size());
  HitList hits;
  REQUIRE(vigil::Matcher(valid_rules()).match(text, hits).ok());
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].norm_start == 3);
  CHECK(hits[0].start == 3);
  CHECK(hits[0].end == original.size());
}

TEST_CASE("an unless match anywhere in the message vetoes the hit") {
  const auto& rules = *valid_rules();
  CHECK(match(valid_rules(), "are your parents home").has(rules, "test.en.isolation.carers_home"));
  CHECK_FALSE(match(valid_rules(), "my mom asked are your parents home").has(rules, "test.en.isolation.carers_home"));
  CHECK_FALSE(match(valid_rules(), "are your parents home? my dad is").has(rules, "test.en.isolation.carers_home"));
}

TEST_CASE("shadow rules hit, deprecated rules never do") {
  const auto& rules = *valid_rules();
  CHECK(match(valid_rules(), "we should meet irl").has(rules, "test.en.meeting.meet_irl"));
  const auto m = match(valid_rules(), "you are so mature for your age");
  CHECK(m.hits.empty());
  HitList re2_hits;
  vigil::match_with_re2_only(rules, m.text, re2_hits);
  CHECK(re2_hits.empty());
}

TEST_CASE("literal patterns match their text, metacharacters included and the longest pattern wins") {
  const auto m = match(valid_rules(), "its our little secret (ok?) yes");
  const Hit* h = find_hit(m, "test.en.secrecy.our_secret");
  REQUIRE(h != nullptr);
  CHECK(h->start == 4);
  CHECK(h->end == 27);
  const auto plain = match(valid_rules(), "our little secret ok");
  const Hit* p = find_hit(plain, "test.en.secrecy.our_secret");
  REQUIRE(p != nullptr);
  CHECK(p->end == 17);
}

TEST_CASE("hits come one per rule, ordered by start") {
  const auto m = match(valid_rules(), "add me on discord, dont tell anyone, how old are you, add me on snap");
  REQUIRE(m.hits.size() == 3);
  CHECK(valid_rules()->rules()[m.hits[0].rule].stage == "platform_move");
  CHECK(m.hits[0].start == 0);
  CHECK(valid_rules()->rules()[m.hits[1].rule].stage == "secrecy");
  CHECK(valid_rules()->rules()[m.hits[2].rule].stage == "access");
  CHECK(m.hits[0].start < m.hits[1].start);
  CHECK(m.hits[1].start < m.hits[2].start);
}

TEST_CASE("age_signal rules capture ages from digits, words, grades and Chinese") {
  CHECK(age_of("im 13", "test.en.age.im_n") == 13);
  CHECK(age_of("lol i am thirteen years old", "test.en.age.im_n") == 13);
  CHECK(age_of("i'm twenty", "test.en.age.im_n") == 20);
  CHECK(age_of("im in grade 7", "test.en.age.grade_n") == 12);
  CHECK(age_of("我13岁", "test.zh.age.n_sui") == 13);
  CHECK(age_of("我今年十三岁", "test.zh.age.n_sui") == 13);
  CHECK(age_of("我读初一", "test.zh.age.junior_grade") == 13);
  CHECK(age_of("我初二了", "test.zh.age.junior_grade") == 14);
  CHECK(age_of("我小学五年级", "test.zh.age.primary_grade") == 11);
  CHECK(match(valid_rules(), "im 5 minutes away").hits.empty());
}

TEST_CASE("Chinese rules hit on Chinese text with byte spans") {
  const auto m = match(valid_rules(), "好的，加个vx吧");
  const Hit* h = find_hit(m, "test.zh.platform_move.add_wechat");
  REQUIRE(h != nullptr);
  CHECK(m.text.text.substr(h->norm_start, h->norm_end - h->norm_start) == "加个vx");
}

TEST_CASE("hit_captures names the groups of the pattern that made the hit") {
  const auto m = match(valid_rules(), "hey im 13 years old");
  const Hit* h = find_hit(m, "test.en.age.im_n");
  REQUIRE(h != nullptr);
  const auto captures = vigil::hit_captures(*valid_rules(), m.text, *h);
  REQUIRE(captures.size() == 1);
  CHECK(captures[0].name == "age");
  CHECK(captures[0].text == "13");
  CHECK(captures[0].start == 7);
  CHECK(captures[0].end == 9);
  const auto none = match(valid_rules(), "dont tell anyone");
  REQUIRE(none.hits.size() == 1);
  CHECK(vigil::hit_captures(*valid_rules(), none.text, none.hits[0]).empty());
}

TEST_CASE("a reused Matcher and HitList give the same hits as the RE2-only path") {
  vigil::Matcher matcher(valid_rules());
  auto scratch = vigil::make_normalize_scratch();
  vigil::NormalizedText text;
  HitList hits;
  HitList expected;
  for (const char* input : {"how old are you", "", "nothing here", "加我微信吧 我13岁", "dont tell anyone im 13"}) {
    vigil::test::normalizer().normalize(input, text, *scratch);
    REQUIRE(matcher.match(text, hits).ok());
    vigil::match_with_re2_only(*valid_rules(), text, expected);
    REQUIRE(hits.size() == expected.size());
    for (size_t i = 0; i < hits.size(); ++i) {
      CHECK(hits[i].rule == expected[i].rule);
      CHECK(hits[i].start == expected[i].start);
      CHECK(hits[i].end == expected[i].end);
      CHECK(hits[i].age == expected[i].age);
    }
  }
}

TEST_CASE("Matchers on several threads share one RuleSet and agree with one thread") {
  const auto rules = valid_rules();
  const std::vector<std::string> inputs = {"dont tell anyone im 13", "加个vx 我初二了", "are your parents home",
                                           "nothing", "add me on discord our little secret"};
  auto run = [&](std::vector<size_t>& counts) {
    vigil::Matcher matcher(rules);
    auto scratch = vigil::make_normalize_scratch();
    vigil::NormalizedText text;
    HitList hits;
    for (int round = 0; round < 500; ++round) {
      for (const std::string& input : inputs) {
        vigil::test::normalizer().normalize(input, text, *scratch);
        // A failed scan counts as a hit count no real message has, so the comparison fails.
        counts.push_back(matcher.match(text, hits).ok() ? hits.size() : SIZE_MAX);
      }
    }
  };
  std::vector<size_t> expected;
  run(expected);
  std::vector<std::vector<size_t>> got(2);
  std::thread a([&] { run(got[0]); });
  std::thread b([&] { run(got[1]); });
  a.join();
  b.join();
  CHECK(got[0] == expected);
  CHECK(got[1] == expected);
}

TEST_CASE("a scratch Hyperscan cannot clone is an error, not \"no hits\", and the next match retries it") {
  const auto rules = valid_rules();
  auto scratch = vigil::make_normalize_scratch();
  vigil::NormalizedText text;
  vigil::test::normalizer().normalize("dont tell your parents", text, *scratch);
  HitList hits{Hit{}};
  std::unique_ptr<vigil::Matcher> matcher;
  {
    vigil::test::RefuseScratch refuse;
    matcher = std::make_unique<vigil::Matcher>(rules);
    const vigil::Status<> scanned = matcher->match(text, hits);
    REQUIRE_FALSE(scanned.ok());
    CHECK(scanned.error().code == "rules.scan_failed");
    CHECK(scanned.error().message.find("hs_clone_scratch") != std::string::npos);
    CHECK(hits.empty());
  }
  REQUIRE(matcher->match(text, hits).ok());
  CHECK(vigil::test::Matched{text, hits}.has(*rules, "test.en.secrecy.dont_tell"));
}
