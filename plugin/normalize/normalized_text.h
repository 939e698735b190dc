// NormalizedText: the output of the Normalizer, and the map from every normalised byte
// back to the span of the original text it came from. Rules match the normalised text;
// evidence is shown on the original, so every hit's span goes through to_original().
//
// Reused across messages: clear() keeps the buffers' capacity, so a thread that keeps
// one NormalizedText allocates nothing per message in steady state. Copyable, movable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

// Each transform the normaliser can apply; `transforms` is their bitwise OR, so
// `vigil explain` can say which fired.
enum Transform : uint32_t {
  kUtf8Repaired = 1u << 0,      // invalid UTF-8 bytes replaced with U+FFFD
  kNfkcCasefold = 1u << 1,      // NFKC + case folding changed something
  kInvisibleRemoved = 1u << 2,  // zero-width, bidi controls, soft hyphen, U+2060-2064
  kConfusableMapped = 1u << 3,  // homoglyphs (UTS #39) mapped to Latin
  kStyledMapped = 1u << 4,      // full-width, circled, styled letters and digits
  kChineseNumerals = 1u << 5,   // Chinese numerals in digit runs to ASCII digits
  kTraditionalToSimplified = 1u << 6,
  kLeetspeak = 1u << 7,         // 0->o, 3->e, 4->a, 1->i, @->a, $->s ...
  kSpacedLetters = 1u << 8,     // "s n a p", "s.n.a.p" -> "snap"
  kRepeatsShortened = 1u << 9,  // "alooooone" -> "aloone"
};

// The transform names in bit order, e.g. {"nfkc_casefold", "leetspeak"}.
std::vector<std::string_view> transform_names(uint32_t transforms);

struct OriginalSpan {
  uint32_t begin = 0;  // byte offset into the original text
  uint32_t end = 0;    // exclusive
};

struct NormalizedText {
  std::string text;                  // normalised UTF-8
  std::vector<OriginalSpan> origin;  // origin[i]: original bytes that produced text[i]
  uint32_t transforms = 0;           // OR of Transform bits that changed something

  // The original span covering normalised bytes [begin, end). Requires begin < end <=
  // text.size().
  OriginalSpan to_original(uint32_t begin, uint32_t end) const { return {origin[begin].begin, origin[end - 1].end}; }
  void clear() {
    text.clear();
    origin.clear();
    transforms = 0;
  }
};

}  // namespace vigil
