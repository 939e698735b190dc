// Leetspeak inside words: 0->o 1->i 3->e 4->a 5->s 7->t @->a $->s, only in a token that
// also holds letters, and only where a digit reads as a letter. What stays digits:
// numbers ("13", "555"), a number with its unit or ordinal ("13yo", "8th", "5pm"),
// runs of three or more digits ("user123"), two digits at either end ("bob55"), any
// run with a digit leet does not use (2 6 8 9: "gr8", "2day"), one digit at a word's
// start other than 0 5 7 ("4ever", "1v1") or at its end other than 0 3 ("b4", "ps5",
// "gta5"), e-mail addresses and @mentions.
#include <string_view>

#include "plugin/normalize/normalized_text.h"
#include "plugin/normalize/passes.h"
#include "plugin/normalize/word_text.h"

namespace vigil::normalize {
namespace {

constexpr size_t kMinDigitRunKept = 3;
constexpr size_t kMinEdgeDigitRunKept = 2;
constexpr int kMaxRounds = 4;

bool is_token_char(char c) { return byte_class(c) & kTokenClass; }

char leet_letter(char c) {
  switch (c) {
    case '0':
      return 'o';
    case '1':
      return 'i';
    case '3':
      return 'e';
    case '4':
      return 'a';
    case '5':
      return 's';
    case '7':
      return 't';
    case '@':
      return 'a';
    case '$':
      return 's';
    default:
      return 0;
  }
}

// Units and ordinals chat writes after a number.
bool is_unit(const std::string& u, size_t b, size_t e) {
  static constexpr std::string_view kUnits[] = {"st", "nd", "rd", "th", "s",  "yo", "y",   "yr", "yrs", "am",
                                                "pm", "k",  "m",  "f",  "h",  "hr", "hrs", "d",  "min", "x",
                                                "g",  "gb", "mb", "cm", "kg", "lb", "lbs", "ft", "u"};
  for (std::string_view unit : kUnits) {
    if (unit.size() != e - b) continue;
    bool same = true;
    for (size_t i = 0; i < unit.size() && same; ++i) same = u[b + i] == unit[i];
    if (same) return true;
  }
  return false;
}

// [$@]?[0-9]+ and a unit: a number with its unit or ordinal ("13yo", "8th", "$5k").
bool is_number_with_unit(const std::string& u, size_t b, size_t e) {
  size_t i = b;
  if (u[i] == '$' || u[i] == '@') ++i;
  const size_t digits_at = i;
  while (i < e && is_digit_byte(u[i])) ++i;
  return i > digits_at && is_unit(u, i, e);
}

// "name@host.tld": the token from '@' on is letters and digits, and ".x" follows it.
bool is_email_at(const std::string& u, size_t at, size_t e) {
  for (size_t i = at + 1; i < e; ++i) {
    if (!is_alnum_byte(u[i])) return false;
  }
  return at + 1 < e && e + 1 < u.size() && u[e] == '.' && is_letter_byte(u[e + 1]);
}

// Folds the digit run u[rb, re) when it reads as letters; the token's letters are at
// first_letter..last_letter.
bool fold_digit_run(std::string& u, size_t first_letter, size_t last_letter, size_t rb, size_t re) {
  const size_t length = re - rb;
  if (length >= kMinDigitRunKept) return false;
  for (size_t i = rb; i < re; ++i) {
    if (leet_letter(u[i]) == 0) return false;
  }
  const bool letter_before = first_letter < rb;
  const bool letter_after = last_letter >= re;
  if (!(letter_before && letter_after)) {
    // One digit at a word's edge: only where leetspeak is more likely than a name or
    // a number ("0nly", "5ecret", "7ell"; "h3ll0", "m3"), not "1v1", "b4", "ps5".
    if (length >= kMinEdgeDigitRunKept) return false;
    const char c = u[rb];
    const bool leading_ok = c == '0' || c == '5' || c == '7';
    const bool trailing_ok = c == '0' || c == '3';
    if (letter_after ? !leading_ok : !trailing_ok) return false;
  }
  for (size_t i = rb; i < re; ++i) u[i] = leet_letter(u[i]);
  return true;
}

// One round over the token u[b, e); returns whether anything changed.
bool fold_token_once(std::string& u, size_t b, size_t e) {
  size_t first_letter = e;
  size_t last_letter = e;
  for (size_t i = b; i < e; ++i) {
    if (is_letter_byte(u[i])) {
      if (first_letter == e) first_letter = i;
      last_letter = i;
    }
  }
  if (first_letter == e) return false;

  bool changed = false;
  for (size_t i = b; i < e;) {
    const char c = u[i];
    if (is_digit_byte(c)) {
      size_t re = i + 1;
      while (re < e && is_digit_byte(u[re])) ++re;
      changed |= fold_digit_run(u, first_letter, last_letter, i, re);
      i = re;
      continue;
    }
    if (c == '@' && i > b && !is_email_at(u, i, e)) {
      u[i] = 'a';
      changed = true;
    } else if (c == '$' && !(i + 1 < e && is_digit_byte(u[i + 1]))) {
      u[i] = 's';
      changed = true;
    }
    ++i;
  }
  return changed;
}

// Folds the token u[b, e); returns whether anything changed. A character folded to a
// letter can make its neighbour read as one too ("h$0p": once 0 is o, $ is s), so the
// rounds repeat until nothing changes; a cap keeps long tokens linear.
bool fold_token(std::string& u, size_t b, size_t e) {
  bool has_leet = false;
  for (size_t i = b; i < e && !has_leet; ++i) has_leet = leet_letter(u[i]) != 0;
  if (!has_leet || is_number_with_unit(u, b, e)) return false;
  bool changed = false;
  for (int round = 0; round < kMaxRounds && fold_token_once(u, b, e); ++round) changed = true;
  return changed;
}

}  // namespace

uint32_t fold_leetspeak(std::string& text) {
  const size_t n = text.size();
  // Most messages hold no digit, @ or $: find that out in a loop GCC vectorises (a sum;
  // it does not vectorise an OR of booleans).
  size_t candidates = 0;
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    candidates += (static_cast<unsigned char>(b - '0') <= 9) + (b == '@') + (b == '$');
  }
  if (candidates == 0) return 0;
  uint32_t transforms = 0;
  for (size_t i = 0; i < n;) {
    if (!is_token_char(text[i])) {
      ++i;
      continue;
    }
    size_t e = i + 1;
    while (e < n && is_token_char(text[e])) ++e;
    if (fold_token(text, i, e)) transforms |= kLeetspeak;
    i = e;
  }
  return transforms;
}

}  // namespace vigil::normalize
