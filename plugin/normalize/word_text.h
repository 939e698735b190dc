// What the word-level passes (spaced letters, leetspeak, repeats) work on: the encoded
// text and its offset map, since by then only ASCII characters matter to them and a
// byte is far cheaper to scan than a unit. A byte of a multi-byte character (>= 0x80)
// is in no class: never a letter, a digit or part of a word. Internal to
// plugin/normalize/.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include "plugin/normalize/normalized_text.h"

namespace vigil::normalize {

// Classes of the ASCII characters the word-level passes test, one lookup for each test.
enum AsciiClass : uint8_t {
  kLetterClass = 1 << 0,     // a-z (the text is lower case by then)
  kDigitClass = 1 << 1,      // 0-9
  kLeetClass = 1 << 2,       // reads as a letter in leetspeak: 0 1 3 4 5 7 @ $
  kTokenClass = 1 << 3,      // part of a leetspeak token: letters, digits, @ $
  kWordClass = 1 << 4,       // part of a word when letters are spaced apart: tokens and '
  kSeparatorClass = 1 << 5,  // sets spaced letters apart: space . - _ * ~ | /
};

inline constexpr std::array<uint8_t, 256> kByteClasses = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kLetterClass | kTokenClass | kWordClass;
  for (int c = '0'; c <= '9'; ++c) t[c] = kDigitClass | kTokenClass | kWordClass;
  for (char c : {'0', '1', '3', '4', '5', '7'}) t[static_cast<unsigned char>(c)] |= kLeetClass;
  for (char c : {'@', '$'}) t[static_cast<unsigned char>(c)] = kLeetClass | kTokenClass | kWordClass;
  t['\''] = kWordClass;
  for (char c : {' ', '.', '-', '_', '*', '~', '|', '/'}) t[static_cast<unsigned char>(c)] = kSeparatorClass;
  return t;
}();

inline uint8_t byte_class(char c) { return kByteClasses[static_cast<unsigned char>(c)]; }
inline bool is_letter_byte(char c) { return byte_class(c) & kLetterClass; }
inline bool is_digit_byte(char c) { return byte_class(c) & kDigitClass; }
inline bool is_alnum_byte(char c) { return byte_class(c) & (kLetterClass | kDigitClass); }

// Rewrites the text and its map in place for a pass that only drops or merges bytes:
// the pass reads left to right, keeps ranges and writes bytes in order, and nothing
// moves until the first byte is dropped, so a pass that finds nothing to do costs only
// its reading.
class TextCompactor {
 public:
  explicit TextCompactor(NormalizedText& t) : t_(t) {}
  TextCompactor(const TextCompactor&) = delete;
  TextCompactor& operator=(const TextCompactor&) = delete;
  TextCompactor(TextCompactor&&) = delete;
  TextCompactor& operator=(TextCompactor&&) = delete;
  ~TextCompactor() = default;

  // Keeps the bytes from the read position up to `end` as they are.
  void keep_until(size_t end) {
    if (write_ != read_) {
      std::copy(t_.text.data() + read_, t_.text.data() + end, t_.text.data() + write_);
      std::copy(t_.origin.data() + read_, t_.origin.data() + end, t_.origin.data() + write_);
    }
    write_ += end - read_;
    read_ = end;
  }
  // Writes the byte at `from` (at or after the write position) with its span.
  void put(size_t from) {
    t_.text[write_] = t_.text[from];
    t_.origin[write_++] = t_.origin[from];
  }
  // Drops the bytes from the read position up to `next_read`.
  void skip_to(size_t next_read) { read_ = next_read; }
  OriginalSpan& last_span() { return t_.origin[write_ - 1]; }
  // Keeps the rest and cuts the text and map to what was written.
  void finish() {
    keep_until(t_.text.size());
    t_.text.resize(write_);
    t_.origin.resize(write_);
  }

 private:
  NormalizedText& t_;
  size_t read_ = 0;
  size_t write_ = 0;
};

}  // namespace vigil::normalize
