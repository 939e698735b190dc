// The offset map's invariants on generated input: random bytes, random mixes of the
// pieces every pass reacts to, a 1 MB message, and many threads at once.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "plugin/common/utf8.h"
#include "plugin/normalize/normalizer.h"
#include "tests/plugin/normalize/normalize_test_util.h"

namespace vigil {
namespace {

using testing::check_invariants;
using testing::normalize;

// Pieces that make the passes fire and collide: letters, leet, separators, CJK numerals,
// Traditional characters, styled and confusable forms, invisibles, combining marks,
// and broken sequences.
const std::vector<std::string> kPieces = {
    "a",
    "s",
    "n",
    "p",
    "O",
    "0",
    "1",
    "3",
    "4",
    "5",
    "7",
    "@",
    "$",
    " ",
    ".",
    "-",
    "_",
    "ooo",
    "www.",
    "th",
    "yo",
    "\t",
    "\n",
    "一",
    "二",
    "三",
    "十",
    "幺",
    "〇",
    "岁",
    "年级",
    "周",
    "個",
    "們",
    "貳",
    "拾",
    "我",
    "ＶＸ",
    "Ⓐ",
    "⑩",
    "❿",
    "𝐇",
    "\u0440",
    "\u0397",
    "\u0430",
    "\u00E0",
    "\u0301",
    "\u200B",
    "\u202E",
    "\u00AD",
    "\uFEFF",
    "ß",
    "\uFB01",
    "\u3251",
    "\uFDFA",
    "\x80",
    "\xC3",
    "\xE2\x82",
    "\xF0\x9F\x98",
    "\xED\xA0\x80",
    "\xC0\xAF",
    "\xFF",
    "\U0001F1F8",
};

std::string random_bytes(std::mt19937& rng, size_t max_length) {
  std::uniform_int_distribution<size_t> length(0, max_length);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string s(length(rng), '\0');
  for (char& c : s) c = static_cast<char>(byte(rng));
  return s;
}

std::string random_pieces(std::mt19937& rng, size_t max_pieces) {
  std::uniform_int_distribution<size_t> count(0, max_pieces);
  std::uniform_int_distribution<size_t> pick(0, kPieces.size() - 1);
  std::string s;
  for (size_t n = count(rng); n > 0; --n) s += kPieces[pick(rng)];
  return s;
}

TEST_CASE("random byte strings keep the offset map's invariants", "[normalize][property]") {
  std::mt19937 rng(20261128);
  for (int i = 0; i < 2000; ++i) {
    const std::string input = random_bytes(rng, 48);
    INFO("iteration " << i);
    check_invariants(input, normalize(input));
  }
}

TEST_CASE("fuzz: 10k random mixes of bytes and pieces, fixed seed", "[normalize][fuzz]") {
  std::mt19937 rng(7);
  const Normalizer& n = testing::test_normalizer();
  auto scratch = make_normalize_scratch();
  NormalizedText out;
  for (int i = 0; i < 10000; ++i) {
    std::string input = random_pieces(rng, 24);
    if (i % 3 == 0) input += random_bytes(rng, 16);
    if (i % 5 == 0) input.insert(input.size() / 2, random_bytes(rng, 8));
    INFO("iteration " << i);
    n.normalize(input, out, *scratch);
    check_invariants(input, out);
    // The longest expansion is NFKC's: U+FDFA, 3 bytes, becomes 33.
    REQUIRE(out.text.size() <= 11 * input.size());
  }
}

TEST_CASE("an invisible between any two pieces changes nothing but the map", "[normalize][property]") {
  // Only well-formed pieces: an invisible between two halves of a broken sequence would
  // rightly change how they decode.
  std::vector<std::string> valid;
  for (const std::string& p : kPieces) {
    if (find_invalid_utf8(p) == -1) valid.push_back(p);
  }
  std::mt19937 rng(11);
  std::uniform_int_distribution<size_t> count(1, 16);
  std::uniform_int_distribution<size_t> pick(0, valid.size() - 1);
  for (int i = 0; i < 2000; ++i) {
    std::vector<std::string> pieces;
    for (size_t n = count(rng); n > 0; --n) pieces.push_back(valid[pick(rng)]);
    std::string plain;
    for (const std::string& p : pieces) plain += p;
    std::uniform_int_distribution<size_t> where(0, pieces.size());
    pieces.insert(pieces.begin() + static_cast<std::ptrdiff_t>(where(rng)), "\u200B");
    std::string with_invisible;
    for (const std::string& p : pieces) with_invisible += p;
    INFO("iteration " << i);
    const auto a = normalize(plain);
    const auto b = normalize(with_invisible);
    REQUIRE(a.text == b.text);
    REQUIRE((a.transforms | kInvisibleRemoved) == (b.transforms | kInvisibleRemoved));
  }
}

TEST_CASE("ASCII text reads the same on the ASCII and the Unicode path", "[normalize][property]") {
  std::mt19937 rng(12);
  const std::string kAscii = "abcdehilnopstuwxyzABST0134578@$ .-_'!?\t";
  std::uniform_int_distribution<size_t> length(0, 40);
  std::uniform_int_distribution<size_t> pick(0, kAscii.size() - 1);
  for (int i = 0; i < 3000; ++i) {
    std::string ascii(length(rng), ' ');
    for (char& c : ascii) c = kAscii[pick(rng)];
    INFO("iteration " << i << ": " << ascii);
    const auto fast = normalize(ascii);
    const auto unicode = normalize(ascii + " 我");  // any non-ASCII character takes ICU's path
    REQUIRE(unicode.text == fast.text + " 我");
    for (size_t k = 0; k < fast.origin.size(); ++k) {
      REQUIRE(unicode.origin[k].begin == fast.origin[k].begin);
      REQUIRE(unicode.origin[k].end == fast.origin[k].end);
    }
  }
}

TEST_CASE("normalising normalised text changes nothing", "[normalize][property]") {
  std::mt19937 rng(13);
  for (int i = 0; i < 5000; ++i) {
    const std::string input = random_pieces(rng, 14);
    INFO("iteration " << i);
    const auto once = normalize(input);
    REQUIRE(normalize(once.text).text == once.text);
  }
}

TEST_CASE("a 1 MB message", "[normalize][long]") {
  const std::string phrase = "D0NT t3ll ur p4rents, s n a p me 加個ＶＸ 一三八一二三四 \u200Bsooooo ";
  std::string input;
  while (input.size() < (1u << 20)) input += phrase;
  const auto t = normalize(input);
  check_invariants(input, t);
  const std::string expected_phrase = "dont tell ur parents, snap me 加个vx 1381234 soo ";
  REQUIRE(t.text.size() % expected_phrase.size() == 0);
  CHECK(t.text.substr(0, expected_phrase.size()) == expected_phrase);
  CHECK(t.text.substr(t.text.size() - expected_phrase.size()) == expected_phrase);
  CHECK(t.origin.back().end == input.size());
}

TEST_CASE("1 MB of the inputs that would be quadratic if passes rescanned", "[normalize][long]") {
  for (const std::string unit : {"a b ", "a1", "x@", "a.b c.", "一十", "s n.a "}) {
    std::string input;
    while (input.size() < (1u << 20)) input += unit;
    INFO(unit);
    check_invariants(input, normalize(input));
  }
}

TEST_CASE("threads share one Normalizer, each with its own scratch", "[normalize][threads]") {
  const Normalizer& n = testing::test_normalizer();
  std::vector<std::string> inputs;
  std::mt19937 rng(99);
  for (int i = 0; i < 200; ++i) inputs.push_back(random_pieces(rng, 20));
  std::vector<std::string> expected;
  for (const std::string& input : inputs) expected.push_back(normalize(input).text);

  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto scratch = make_normalize_scratch();
      NormalizedText out;
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < inputs.size(); ++i) {
          n.normalize(inputs[i], out, *scratch);
          mismatches[t] += out.text != expected[i];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int m : mismatches) CHECK(m == 0);
}

}  // namespace
}  // namespace vigil
