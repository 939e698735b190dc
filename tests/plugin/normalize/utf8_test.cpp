// Invalid UTF-8: find_invalid_utf8() and the normaliser's repair, byte by byte.
#include <catch2/catch.hpp>

#include <string>

#include "plugin/common/utf8.h"
#include "plugin/normalize/normalizer.h"
#include "tests/plugin/normalize/normalize_test_util.h"

namespace vigil {
namespace {

using testing::normalize;
using testing::Span;
using testing::spans;

const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD

TEST_CASE("find_invalid_utf8 accepts well-formed text", "[normalize][utf8]") {
  CHECK(find_invalid_utf8("") == -1);
  CHECK(find_invalid_utf8("plain ascii, long enough for the eight-byte path") == -1);
  CHECK(find_invalid_utf8("\xC2\x80 \xDF\xBF") == -1);                       // U+0080, U+07FF
  CHECK(find_invalid_utf8("\xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80") == -1);  // U+0800, U+D7FF, U+E000
  CHECK(find_invalid_utf8("\xF0\x90\x80\x80 \xF4\x8F\xBF\xBF") == -1);       // U+10000, U+10FFFF
  CHECK(find_invalid_utf8("我十三岁 \U0001F600") == -1);
}

TEST_CASE("find_invalid_utf8 names the first bad byte", "[normalize][utf8]") {
  struct Case {
    const char* what;
    std::string text;
    long offset;
  };
  const Case cases[] = {
      {"lone continuation byte",
       "ab\x80"
       "cd",
       2},
      {"truncated two-byte sequence at the end", "abc\xC3", 3},
      {"truncated three-byte sequence", "a\xE2\x82z", 1},
      {"truncated four-byte sequence at the end", "\xF0\x9F\x98", 0},
      {"overlong two-byte encoding of '/'", "x\xC0\xAF", 1},
      {"overlong three-byte encoding", "\xE0\x80\xAF", 0},
      {"overlong four-byte encoding", "\xF0\x80\x80\xAF", 0},
      {"UTF-16 surrogate", "ok \xED\xA0\x80", 3},
      {"past U+10FFFF", "\xF4\x90\x80\x80", 0},
      {"byte never used in UTF-8", "\xFF", 0},
      {"F5 lead byte", "\xF5\x80\x80\x80", 0},
      {"after eight ASCII bytes", "01234567\x80", 8},
      {"after valid multi-byte text", "我\xE6\x88", 3},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    CHECK(find_invalid_utf8(c.text) == c.offset);
  }
}

TEST_CASE("invalid bytes become U+FFFD, one per byte, each from its byte", "[normalize][utf8]") {
  SECTION("truncated sequence") {
    const auto t = normalize("a\xE2\x82z");
    CHECK(t.text == "a" + kReplacement + kReplacement + "z");
    CHECK(t.transforms == kUtf8Repaired);
    CHECK(spans(t) == std::vector<Span>{{0, 1}, {1, 2}, {1, 2}, {1, 2}, {2, 3}, {2, 3}, {2, 3}, {3, 4}});
  }
  SECTION("overlong encoding") {
    const auto t = normalize("\xC0\xAF");
    CHECK(t.text == kReplacement + kReplacement);
    CHECK(spans(t) == std::vector<Span>{{0, 1}, {0, 1}, {0, 1}, {1, 2}, {1, 2}, {1, 2}});
  }
  SECTION("surrogate") {
    const auto t = normalize("\xED\xA0\x80!");
    CHECK(t.text == kReplacement + kReplacement + kReplacement + "!");
    CHECK(t.origin.back().begin == 3);
  }
  SECTION("lone continuation byte between words keeps the words' offsets") {
    const auto t = normalize("hi \x80 there");
    CHECK(t.text == "hi " + kReplacement + " there");
    CHECK(testing::original_of(t, "there") == Span{5, 10});
  }
  SECTION("bad bytes next to valid non-ASCII text") {
    const auto t = normalize("\xFF個");
    CHECK(t.text == kReplacement + "个");
    CHECK(t.transforms == (kUtf8Repaired | kTraditionalToSimplified));
    CHECK(spans(t) == std::vector<Span>{{0, 1}, {0, 1}, {0, 1}, {1, 4}, {1, 4}, {1, 4}});
  }
  SECTION("a repaired word still folds") {
    const auto t = normalize("\x80P4RENTS");
    CHECK(t.text == kReplacement + "parents");
    CHECK(t.transforms == (kUtf8Repaired | kNfkcCasefold | kLeetspeak));
  }
}

}  // namespace
}  // namespace vigil
