// Unit: one code point of text in the middle of normalisation, with the span of the
// original bytes it came from. The character-level passes read and write vectors of
// units; they are then encoded to UTF-8 with one OriginalSpan per byte, on which the
// word-level passes run (word_text.h). Internal to plugin/normalize/.
#pragma once

#include <cstdint>
#include <vector>

namespace vigil::normalize {

struct Unit {
  char32_t cp = 0;
  uint32_t begin = 0;  // original bytes [begin, end)
  uint32_t end = 0;
};

using Units = std::vector<Unit>;

inline bool is_ascii_letter(char32_t c) { return c >= 'a' && c <= 'z'; }
inline bool is_ascii_digit(char32_t c) { return c >= '0' && c <= '9'; }
inline bool is_ascii_alnum(char32_t c) { return is_ascii_letter(c) || is_ascii_digit(c); }

}  // namespace vigil::normalize
