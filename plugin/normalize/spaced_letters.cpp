// Letters set apart to dodge word rules: "s n a p", "s.n.a.p", "a-s-l", "d 0 n t".
// Chat is full of single-letter words ("r u a", "i c u"), so a run split by spaces
// only joins when at least two of its letters are not such words; runs split by
// punctuation always join.
#include "plugin/normalize/normalized_text.h"
#include "plugin/normalize/passes.h"
#include "plugin/normalize/word_text.h"

namespace vigil::normalize {
namespace {

constexpr size_t kMinItems = 3;
constexpr size_t kMaxSeparator = 3;  // "s  n  a  p", "s - n - a - p"

// A letter or a character leetspeak reads as one.
bool is_item(char c) { return byte_class(c) & (kLetterClass | kLeetClass); }
bool is_word_char(char c) { return byte_class(c) & kWordClass; }
bool is_separator(char c) { return byte_class(c) & kSeparatorClass; }

// Letters chat uses as whole words: i, a, u (you), r (are), y (why), c (see), n (and),
// b (be), o (oh); and 4 (for).
bool is_single_letter_word(char c) {
  return c == 'i' || c == 'a' || c == 'u' || c == 'r' || c == 'y' || c == 'c' || c == 'n' || c == 'b' || c == 'o' ||
         c == '4';
}

// Whether units[i] stands alone: an item with no word character on either side.
bool is_lone_item(const std::string& units, size_t i) {
  if (!is_item(units[i])) return false;
  if (i > 0 && is_word_char(units[i - 1])) return false;
  return i + 1 >= units.size() || !is_word_char(units[i + 1]);
}

// The length of the separator starting at units[i] (0 when there is none).
size_t separator_length(const std::string& units, size_t i) {
  size_t n = 0;
  while (i + n < units.size() && n <= kMaxSeparator && is_separator(units[i + n])) ++n;
  return n <= kMaxSeparator ? n : 0;
}

bool same_separator(const std::string& units, size_t a, size_t b, size_t length) {
  for (size_t k = 0; k < length; ++k) {
    if (units[a + k] != units[b + k]) return false;
  }
  return true;
}

}  // namespace

uint32_t join_spaced_letters(NormalizedText& t) {
  const std::string& units = t.text;
  const size_t n = units.size();
  uint32_t transforms = 0;
  TextCompactor out(t);
  for (size_t i = 0; i < n;) {
    // Only a word of one character can start a run; longer words are skipped whole.
    if (!is_word_char(units[i])) {
      ++i;
      continue;
    }
    size_t word_end = i + 1;
    while (word_end < n && is_word_char(units[word_end])) ++word_end;
    if (word_end - i != 1 || !is_item(units[i])) {
      i = word_end;
      continue;
    }
    // Extend the run of lone items split by the same separator.
    const size_t sep_at = i + 1;
    const size_t sep_len = sep_at < n ? separator_length(units, sep_at) : 0;
    size_t items = 1;
    size_t last = i;  // the last item of the run
    while (sep_len > 0) {
      const size_t sep = last + 1;
      const size_t next = sep + sep_len;
      if (next >= n || !same_separator(units, sep_at, sep, sep_len) || !is_lone_item(units, next)) {
        break;
      }
      last = next;
      ++items;
    }
    size_t letters = 0;
    size_t unusual = 0;  // letters that are not single-letter words
    bool by_spaces = true;
    for (size_t k = i; k <= last; k += 1 + sep_len) {
      letters += is_letter_byte(units[k]);
      unusual += !is_single_letter_word(units[k]);
    }
    for (size_t k = 0; k < sep_len; ++k) by_spaces = by_spaces && units[sep_at + k] == ' ';
    if (items < kMinItems || letters < 2 || (by_spaces && unusual < 2)) {
      // No part of this run can join either (fewer items, letters, unusual letters);
      // its last item may still start a run with another separator.
      i = last == i ? i + 1 : last;
      continue;
    }
    out.keep_until(i);
    for (size_t k = i; k <= last; k += 1 + sep_len) out.put(k);
    out.skip_to(last + 1);
    transforms |= kSpacedLetters;
    i = last + 1;
  }
  out.finish();
  return transforms;
}

}  // namespace vigil::normalize
