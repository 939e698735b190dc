// Letters set apart to dodge word rules: "s n a p", "s.n.a.p", "a-s-l", "d 0 n t".
// Chat is full of single-letter words ("r u a", "i c u"), so a run split by spaces
// only joins when at least two of its letters are not such words; runs split by
// punctuation always join.
#include "plugin/normalize/normalized_text.h"
#include "plugin/normalize/passes.h"

namespace vigil::normalize {
namespace {

constexpr size_t kMinItems = 3;
constexpr size_t kMaxSeparator = 3;  // "s  n  a  p", "s - n - a - p"

// A letter or a character leetspeak reads as one.
bool is_item(char32_t c) {
  return is_ascii_letter(c) || c == '0' || c == '1' || c == '3' || c == '4' || c == '5' ||
         c == '7' || c == '@' || c == '$';
}

bool is_word_char(char32_t c) { return is_ascii_alnum(c) || c == '@' || c == '$' || c == '\''; }

bool is_separator(char32_t c) {
  return c == ' ' || c == '.' || c == '-' || c == '_' || c == '*' || c == '~' || c == '|' ||
         c == '/';
}

// Letters chat uses as whole words: i, a, u (you), r (are), y (why), c (see), n (and),
// b (be), o (oh); and 4 (for).
bool is_single_letter_word(char32_t c) {
  return c == 'i' || c == 'a' || c == 'u' || c == 'r' || c == 'y' || c == 'c' || c == 'n' ||
         c == 'b' || c == 'o' || c == '4';
}

// Whether units[i] stands alone: an item with no word character on either side.
bool is_lone_item(const Units& units, size_t i) {
  if (!is_item(units[i].cp)) return false;
  if (i > 0 && is_word_char(units[i - 1].cp)) return false;
  return i + 1 >= units.size() || !is_word_char(units[i + 1].cp);
}

// The length of the separator starting at units[i] (0 when there is none).
size_t separator_length(const Units& units, size_t i) {
  size_t n = 0;
  while (i + n < units.size() && n <= kMaxSeparator && is_separator(units[i + n].cp)) ++n;
  return n <= kMaxSeparator ? n : 0;
}

bool same_separator(const Units& units, size_t a, size_t b, size_t length) {
  for (size_t k = 0; k < length; ++k) {
    if (units[a + k].cp != units[b + k].cp) return false;
  }
  return true;
}

}  // namespace

uint32_t join_spaced_letters(Units& units) {
  uint32_t transforms = 0;
  size_t w = 0;
  for (size_t i = 0; i < units.size();) {
    if (!is_lone_item(units, i)) {
      units[w++] = units[i++];
      continue;
    }
    // Extend the run of lone items split by the same separator.
    const size_t sep_at = i + 1;
    const size_t sep_len = sep_at < units.size() ? separator_length(units, sep_at) : 0;
    size_t items = 1;
    size_t last = i;  // the last item of the run
    while (sep_len > 0) {
      const size_t sep = last + 1;
      const size_t next = sep + sep_len;
      if (next >= units.size() || !same_separator(units, sep_at, sep, sep_len) ||
          !is_lone_item(units, next)) {
        break;
      }
      last = next;
      ++items;
    }
    size_t letters = 0;
    size_t unusual = 0;  // letters that are not single-letter words
    bool by_spaces = true;
    for (size_t k = i; k <= last; k += 1 + sep_len) {
      letters += is_ascii_letter(units[k].cp);
      unusual += !is_single_letter_word(units[k].cp);
    }
    for (size_t k = 0; k < sep_len; ++k) by_spaces = by_spaces && units[sep_at + k].cp == ' ';
    if (items < kMinItems || letters < 2 || (by_spaces && unusual < 2)) {
      // No part of this run can join either (fewer items, letters, unusual letters);
      // its last item may still start a run with another separator.
      if (last == i) units[w++] = units[i++];
      while (i < last) units[w++] = units[i++];
      continue;
    }
    for (size_t k = i; k <= last; k += 1 + sep_len) units[w++] = units[k];
    transforms |= kSpacedLetters;
    i = last + 1;
  }
  units.resize(w);
  return transforms;
}

}  // namespace vigil::normalize
