// Each transform of the normaliser with its exact offsets, then the mixed cases.
#include <catch2/catch.hpp>

#include "plugin/normalize/normalizer.h"
#include "tests/plugin/normalize/normalize_test_util.h"

namespace vigil {
namespace {

using testing::normalize;
using testing::original_of;
using testing::repeated_spans;
using testing::Span;
using testing::spans;

// Identity spans [i, i + 1) for n bytes starting at `first`.
std::vector<Span> identity(uint32_t first, uint32_t n) { return repeated_spans(first, 1, 1, n); }

TEST_CASE("plain lower-case ASCII passes through with an identity map", "[normalize]") {
  const auto t = normalize("are your parents home?");
  CHECK(t.text == "are your parents home?");
  CHECK(t.transforms == 0);
  CHECK(spans(t) == identity(0, 22));
}

TEST_CASE("empty input gives empty output", "[normalize]") {
  const auto t = normalize("");
  CHECK(t.text.empty());
  CHECK(t.origin.empty());
  CHECK(t.transforms == 0);
}

TEST_CASE("ASCII capitals are lower-cased", "[normalize][casefold]") {
  const auto t = normalize("Are You HOME");
  CHECK(t.text == "are you home");
  CHECK(t.transforms == kNfkcCasefold);
  CHECK(spans(t) == identity(0, 12));
}

TEST_CASE("NFKC case folding of non-ASCII text", "[normalize][casefold]") {
  SECTION("Cyrillic capitals without Latin look-alikes") {
    const auto t = normalize("ЖЖ");  // 2 bytes each
    CHECK(t.text == "жж");
    CHECK(t.transforms == kNfkcCasefold);
    CHECK(spans(t) == repeated_spans(0, 2, 2, 2));
  }
  SECTION("an expansion maps every byte to the one original character") {
    const auto t = normalize("xß");
    CHECK(t.text == "xss");
    CHECK(t.transforms == kNfkcCasefold);
    CHECK(spans(t) == std::vector<Span>{{0, 1}, {1, 3}, {1, 3}});
  }
  SECTION("ASCII capitals inside non-ASCII text") {
    const auto t = normalize("HI 你好");
    CHECK(t.text == "hi 你好");
    CHECK(t.transforms == kNfkcCasefold);
    CHECK(original_of(t, "你好") == Span{3, 9});
  }
}

TEST_CASE("invisible characters are removed but stay inside spans", "[normalize][invisible]") {
  SECTION("zero-width characters inside a word") {
    // d ZWSP o ZWNJ n ZWJ t: 1 + 3 + 1 + 3 + 1 + 3 + 1 bytes
    const auto t = normalize("d\u200Bo\u200Cn\u200Dt");
    CHECK(t.text == "dont");
    CHECK(t.transforms == kInvisibleRemoved);
    CHECK(spans(t) == std::vector<Span>{{0, 1}, {4, 5}, {8, 9}, {12, 13}});
    CHECK(original_of(t, "dont") == Span{0, 13});
  }
  SECTION("each kind of invisible") {
    for (const char* invisible : {"\u00AD", "\u200B", "\u200E", "\u200F", "\u202A", "\u202E", "\u2060", "\u2064",
                                  "\u2066", "\u2069", "\uFEFF", "\u034F", "\uFE0F", "\x01", "\x7F", "\xC2\x85"}) {
      const std::string input = std::string("se") + invisible + "cret";
      INFO(input);
      const auto t = normalize(input);
      CHECK(t.text == "secret");
      CHECK(t.transforms == kInvisibleRemoved);
      CHECK(original_of(t, "secret") == Span{0, static_cast<uint32_t>(input.size())});
    }
  }
  SECTION("tabs and line breaks are text, not invisibles") {
    const auto t = normalize("a\tb\nc\r\n");
    CHECK(t.text == "a\tb\nc\r\n");
    CHECK(t.transforms == 0);
  }
}

TEST_CASE("homoglyphs map to Latin", "[normalize][confusable]") {
  SECTION("a Cyrillic letter in a Latin word") {
    const auto t = normalize("\u0440arents");  // Cyrillic er
    CHECK(t.text == "parents");
    CHECK(t.transforms == kConfusableMapped);
    CHECK(spans(t)[0] == Span{0, 2});
    CHECK(original_of(t, "parents") == Span{0, 8});
  }
  SECTION("a word written all in Cyrillic and Greek look-alikes") {
    // Cyrillic dze, Latin n, Cyrillic a, Greek rho
    const auto t = normalize("\u0455n\u0430\u03C1");
    CHECK(t.text == "snap");
    CHECK(t.transforms == kConfusableMapped);
    CHECK(spans(t) == std::vector<Span>{{0, 2}, {2, 3}, {3, 5}, {5, 7}});
  }
  SECTION("capitals map by their own shape, before case folding") {
    const auto t = normalize("\u0397ELLO \u03A7");  // Greek Eta, Chi
    CHECK(t.text == "hello x");
    CHECK((t.transforms & kConfusableMapped) != 0);
  }
  SECTION("Latin letters with diacritics lose them") {
    const auto t = normalize("p\u00E0rents");  // à, 2 bytes
    CHECK(t.text == "parents");
    CHECK(spans(t)[1] == Span{1, 3});
  }
  SECTION("a letter and a combining mark become one letter") {
    const auto t = normalize("e\u0301x");
    CHECK(t.text == "ex");
    CHECK(spans(t) == std::vector<Span>{{0, 3}, {3, 4}});
  }
  SECTION("combining marks nothing composes with are dropped (zalgo text)") {
    // h, e, l, l, o each followed by a combining overlay (2 bytes)
    const auto t = normalize("h\u0335e\u0336l\u0337l\u0338o\u0334\u0334");
    CHECK(t.text == "hello");
    CHECK(t.transforms == kConfusableMapped);
    CHECK(spans(t) == std::vector<Span>{{0, 3}, {3, 6}, {6, 9}, {9, 12}, {12, 17}});
  }
  SECTION("a mark cannot split a number") { CHECK(normalize("\u4E00\u0301\u4E09").text == "13"); }
  SECTION("Chinese and Japanese are never mapped") {
    for (const char* text : {"一口", "ー", "。", "丨", "〇"}) {
      const auto t = normalize(text);
      CHECK(t.text == text);
      CHECK(t.transforms == 0);
    }
  }
}

TEST_CASE("styled letters and digits become plain ASCII", "[normalize][styled]") {
  SECTION("full-width letters") {
    const auto t = normalize("ＨＥＬＬＯ");
    CHECK(t.text == "hello");
    CHECK(t.transforms == kStyledMapped);
    CHECK(spans(t) == repeated_spans(0, 3, 1, 5));
  }
  SECTION("circled letters and digits") {
    const auto t = normalize("Ⓐⓑ①②");
    CHECK(t.text == "ab12");
    CHECK(t.transforms == kStyledMapped);
    CHECK(spans(t) == repeated_spans(0, 3, 1, 4));
  }
  SECTION("a circled number expands, every digit from the one character") {
    const auto t = normalize("⑩");
    CHECK(t.text == "10");
    CHECK(spans(t) == std::vector<Span>{{0, 3}, {0, 3}});
  }
  SECTION("dingbat and negative circled digits NFKC keeps") {
    const auto t = normalize("❶➁➌⓿❿");
    CHECK(t.text == "123010");
    CHECK(t.transforms == kStyledMapped);
    CHECK(spans(t) == std::vector<Span>{{0, 3}, {3, 6}, {6, 9}, {9, 12}, {12, 15}, {12, 15}});
  }
  SECTION("mathematical letters (4 bytes each)") {
    const auto t = normalize("\U0001D407\U0001D422");  // bold H, bold i
    CHECK(t.text == "hi");
    CHECK(t.transforms == kStyledMapped);
    CHECK(spans(t) == std::vector<Span>{{0, 4}, {4, 8}});
  }
  SECTION("negative squared letters and regional indicators") {
    const auto t = normalize("\U0001F170\U0001F1F8");
    CHECK(t.text == "as");
    CHECK(t.transforms == kStyledMapped);
  }
  SECTION("digits of other scripts") {
    const auto t = normalize("\u0661\u0663");  // Arabic-Indic 1 3
    CHECK(t.text == "13");
    CHECK(t.transforms == kStyledMapped);
    CHECK(spans(t) == std::vector<Span>{{0, 2}, {2, 4}});
  }
  SECTION("a ligature") {
    const auto t = normalize("\uFB01ne");
    CHECK(t.text == "fine");
    CHECK(spans(t) == std::vector<Span>{{0, 3}, {0, 3}, {3, 4}, {4, 5}});
  }
}

TEST_CASE("Chinese numerals in runs that read as numbers", "[normalize][chinese]") {
  SECTION("a contact number spelled out") {
    const auto t = normalize("一三八一二三四五六七八");
    CHECK(t.text == "13812345678");
    CHECK(t.transforms == kChineseNumerals);
    CHECK(spans(t) == repeated_spans(0, 3, 1, 11));
  }
  SECTION("幺 reads 1 in a number") { CHECK(normalize("幺三八").text == "138"); }
  SECTION("Chinese numerals mixed with digits") {
    const auto t = normalize("138一二三四");
    CHECK(t.text == "1381234");
    CHECK(spans(t) == std::vector<Span>{{0, 1}, {1, 2}, {2, 3}, {3, 6}, {6, 9}, {9, 12}, {12, 15}});
  }
  SECTION("an age with 十") {
    const auto t = normalize("我十三岁");
    CHECK(t.text == "我13岁");
    CHECK(t.transforms == kChineseNumerals);
    CHECK(spans(t) == std::vector<Span>{{0, 3}, {0, 3}, {0, 3}, {3, 6}, {6, 9}, {9, 12}, {9, 12}, {9, 12}});
    CHECK(original_of(t, "13岁") == Span{3, 12});
  }
  SECTION("every shape of 十 for 10-99") {
    CHECK(normalize("十岁").text == "10岁");
    CHECK(normalize("十一").text == "11");
    CHECK(normalize("二十").text == "20");
    CHECK(normalize("二十三岁").text == "23岁");
    CHECK(normalize("九十九").text == "99");
    const auto t = normalize("二十三");
    CHECK(spans(t) == std::vector<Span>{{0, 3}, {6, 9}});
    CHECK(original_of(t, "23") == Span{0, 9});
    const auto ten = normalize("十岁");
    CHECK(spans(ten)[0] == Span{0, 3});
    CHECK(spans(ten)[1] == Span{0, 3});
  }
  SECTION("a single numeral before an age or a grade") {
    CHECK(normalize("五年级").text == "5年级");
    CHECK(normalize("小学五年级").text == "小学5年级");
    CHECK(normalize("九岁").text == "9岁");
    CHECK(normalize("九周岁").text == "9周岁");
  }
  SECTION("Traditional and financial numerals") {
    const auto t = normalize("貳拾歲");
    CHECK(t.text == "20岁");
    CHECK(t.transforms == (kChineseNumerals | kTraditionalToSimplified));
  }
  SECTION("ordinary words keep their numerals") {
    for (const char* text : {"一起", "一下", "统一", "十分感谢", "初一", "一个人", "万一", "第一", "零食", "三年"}) {
      const auto t = normalize(text);
      CHECK(t.text == text);
      CHECK(t.transforms == 0);
    }
  }
  SECTION("十 next to ASCII digits is read on its own") {
    CHECK(normalize("7一十").text == "710");
    CHECK(normalize("贰⑩十二").text == "21012");
  }
  SECTION("runs that are not numbers stay") {
    CHECK(normalize("一二十").text == "一二十");
    CHECK(normalize("十十").text == "十十");
    CHECK(normalize("3十").text == "3十");
  }
}

TEST_CASE("Traditional Chinese becomes Simplified", "[normalize][traditional]") {
  const auto t = normalize("我們見面吧");
  CHECK(t.text == "我们见面吧");
  CHECK(t.transforms == kTraditionalToSimplified);
  CHECK(spans(t) == repeated_spans(0, 3, 3, 5));
  CHECK(normalize("發個照片").text == "发个照片");
  CHECK(normalize("我们").transforms == 0);
}

TEST_CASE("leetspeak inside words", "[normalize][leet]") {
  SECTION("the phrase of the issue, spanning the whole original") {
    const auto t = normalize("d0nt t3ll ur p4rents");
    CHECK(t.text == "dont tell ur parents");
    CHECK(t.transforms == kLeetspeak);
    CHECK(spans(t) == identity(0, 20));
    CHECK(original_of(t, "dont tell ur parents") == Span{0, 20});
  }
  SECTION("each leet character") {
    CHECK(normalize("h3ll0").text == "hello");
    CHECK(normalize("c00l").text == "cool");
    CHECK(normalize("k1ds").text == "kids");
    CHECK(normalize("m3").text == "me");
    CHECK(normalize("7ell").text == "tell");
    CHECK(normalize("p@rents").text == "parents");
    CHECK(normalize("$nap").text == "snap");
    CHECK(normalize("ki$$").text == "kiss");
    CHECK(normalize("5ecret").text == "secret");
  }
  SECTION("numbers and their units stay readable") {
    for (const char* text :
         {"13",   "im 13", "8th",     "7th grade", "13yo",     "21st", "5pm",  "2day", "gr8",
          "b4",   "4ever", "user123", "bob55",     "555-0134", "$5",   "$100", "@bob", "me@example.com",
          "1337", "1v1",   "ps5",     "gta5",      "iphone7",  "a1",   "x4"}) {
      const auto t = normalize(text);
      CHECK(t.text == text);
      CHECK(t.transforms == 0);
    }
  }
}

TEST_CASE("letters spaced or dotted apart are joined", "[normalize][spaced]") {
  SECTION("by spaces") {
    const auto t = normalize("s n a p");
    CHECK(t.text == "snap");
    CHECK(t.transforms == kSpacedLetters);
    CHECK(spans(t) == std::vector<Span>{{0, 1}, {2, 3}, {4, 5}, {6, 7}});
    CHECK(original_of(t, "snap") == Span{0, 7});
  }
  SECTION("by dots, dashes, underscores and double spaces") {
    CHECK(normalize("s.n.a.p").text == "snap");
    CHECK(normalize("s-n-a-p").text == "snap");
    CHECK(normalize("s_n_a_p").text == "snap");
    CHECK(normalize("s  n  a  p").text == "snap");
    CHECK(normalize("a/s/l").text == "asl");
  }
  SECTION("inside a sentence") {
    const auto t = normalize("add me on s n a p chat");
    CHECK(t.text == "add me on snap chat");
    CHECK(original_of(t, "snap") == Span{10, 17});
  }
  SECTION("three letters, and leet characters among them") {
    CHECK(normalize("a s l").text == "asl");
    CHECK(normalize("k i k").text == "kik");
    const auto t = normalize("d 0 n t");
    CHECK(t.text == "dont");
    CHECK(t.transforms == (kSpacedLetters | kLeetspeak));
  }
  SECTION("single-letter chat words, pairs, digits and mixed separators stay") {
    for (const char* text :
         {"r u a boy", "i c u", "u r a", "a b", "1 2 3", "s n.a p", "snap a b", "e.g.", "call 5 5 5"}) {
      const auto t = normalize(text);
      CHECK(t.text == text);
      CHECK((t.transforms & kSpacedLetters) == 0);
    }
  }
}

TEST_CASE("letter runs longer than two are cut to two", "[normalize][repeats]") {
  SECTION("the cut letters stay inside the kept one's span") {
    const auto t = normalize("alooooone");
    CHECK(t.text == "aloone");
    CHECK(t.transforms == kRepeatsShortened);
    CHECK(spans(t) == std::vector<Span>{{0, 1}, {1, 2}, {2, 3}, {3, 7}, {7, 8}, {8, 9}});
  }
  SECTION("at the end of a word") {
    const auto t = normalize("sooooo");
    CHECK(t.text == "soo");
    CHECK(original_of(t, "soo") == Span{0, 6});
  }
  SECTION("double letters, digit runs and web addresses stay") {
    for (const char* text : {"soon", "too", "5555555", "www.example.com", "!!!!", "哈哈哈哈"}) {
      const auto t = normalize(text);
      CHECK(t.text == text);
      CHECK((t.transforms & kRepeatsShortened) == 0);
    }
    CHECK(normalize("wwww").text == "ww");
  }
}

TEST_CASE("mixed disguises in one message", "[normalize][mixed]") {
  SECTION("full-width letters, spaced apart, with a leet digit") {
    const auto t = normalize("ｄ 0 ｎ ｔ");
    CHECK(t.text == "dont");
    CHECK(t.transforms == (kStyledMapped | kSpacedLetters | kLeetspeak));
    CHECK(spans(t) == std::vector<Span>{{0, 3}, {4, 5}, {6, 9}, {10, 13}});
  }
  SECTION("full-width leetspeak") {
    const auto t = normalize("Ｐ４ＲＥＮＴＳ");
    CHECK(t.text == "parents");
    CHECK(t.transforms == (kStyledMapped | kLeetspeak));
  }
  SECTION("an invisible inside a leet word") {
    const auto t = normalize("t\u200B3ll");
    CHECK(t.text == "tell");
    CHECK(t.transforms == (kInvisibleRemoved | kLeetspeak));
    CHECK(original_of(t, "tell") == Span{0, 7});
  }
  SECTION("Traditional Chinese with a full-width platform name") {
    const auto t = normalize("加個ＶＸ");
    CHECK(t.text == "加个vx");
    CHECK(t.transforms == (kTraditionalToSimplified | kStyledMapped));
    CHECK(spans(t) == std::vector<Span>{{0, 3}, {0, 3}, {0, 3}, {3, 6}, {3, 6}, {3, 6}, {6, 9}, {9, 12}});
    CHECK(original_of(t, "vx") == Span{6, 12});
  }
  SECTION("homoglyphs spaced apart, with a long repeat") {
    const auto t = normalize("\u0455 n \u0430 p \u043E\u043E\u043E\u043Ek");  // Cyrillic s, a, o
    CHECK(t.text == "snap ook");
  }
  SECTION("circled digits in a contact number") {
    const auto t = normalize("加我①③⑧一二三");
    CHECK(t.text == "加我138123");
  }
}

TEST_CASE("transform names in bit order", "[normalize]") {
  CHECK(transform_names(0).empty());
  CHECK(transform_names(kLeetspeak | kUtf8Repaired) == std::vector<std::string_view>{"utf8_repaired", "leetspeak"});
  const std::vector<std::string_view> all = transform_names(0x3FF);
  CHECK(all == std::vector<std::string_view>{"utf8_repaired", "nfkc_casefold", "invisible_removed", "confusable_mapped",
                                             "styled_mapped", "chinese_numerals", "traditional_to_simplified",
                                             "leetspeak", "spaced_letters", "repeats_shortened"});
  CHECK(transform_names(1u << 31).empty());
}

TEST_CASE("create() names a missing OpenCC folder", "[normalize]") {
  NormalizerOptions options;
  options.opencc_dir = "/nonexistent/opencc";
  auto created = Normalizer::create(options);
  REQUIRE_FALSE(created.ok());
  CHECK(created.error().code == "normalize.opencc_data");
  CHECK(created.error().message.find("/nonexistent/opencc/TSCharacters.ocd2") != std::string::npos);
}

TEST_CASE("one output and scratch reused across messages of every kind", "[normalize]") {
  const Normalizer& n = testing::test_normalizer();
  auto scratch = make_normalize_scratch();
  NormalizedText out;
  for (const char* text : {"a much longer message than the next one, 加個ＶＸ", "HI", "", "我十三岁", "d0nt"}) {
    n.normalize(text, out, *scratch);
    const NormalizedText fresh = normalize(text);
    CHECK(out.text == fresh.text);
    CHECK(spans(out) == spans(fresh));
    CHECK(out.transforms == fresh.transforms);
  }
}

}  // namespace
}  // namespace vigil
