// Styled digits and letters that NFKC keeps as they are (it maps full-width, math and
// plain circled forms itself), and the decimal digits of every script.
#include <unicode/uchar.h>

#include <string>

#include "plugin/normalize/char_table.h"

namespace vigil::normalize {
namespace {

// `count` consecutive code points from `first` standing for first_value, first_value+1...
void add_digits(CharTable& table, char32_t first, int count, int first_value) {
  for (int i = 0; i < count; ++i) {
    table.set_ascii(first + i, CharTable::kStyled, std::to_string(first_value + i));
  }
}

// 26 consecutive code points from `first` standing for a..z.
void add_letters(CharTable& table, char32_t first) {
  for (int i = 0; i < 26; ++i) {
    const char letter = static_cast<char>('a' + i);
    table.set_ascii(first + i, CharTable::kStyled, std::string_view(&letter, 1));
  }
}

}  // namespace

void add_styled(CharTable& table) {
  add_digits(table, 0x24FF, 1, 0);    // ⓿ negative circled zero
  add_digits(table, 0x24EB, 10, 11);  // ⓫..⓴ negative circled 11-20
  add_digits(table, 0x24F5, 10, 1);   // ⓵..⓾ double circled 1-10
  add_digits(table, 0x2776, 10, 1);   // ❶..❿ dingbat negative circled
  add_digits(table, 0x2780, 10, 1);   // ➀..➉ dingbat circled sans-serif
  add_digits(table, 0x278A, 10, 1);   // ➊..➓ dingbat negative circled sans-serif
  add_digits(table, 0x1F10B, 1, 0);   // 🄋 dingbat circled sans-serif zero
  add_digits(table, 0x1F10C, 1, 0);   // 🄌 dingbat negative circled sans-serif zero
  add_letters(table, 0x1F150);        // 🅐 negative circled
  add_letters(table, 0x1F170);        // 🅰 negative squared
  add_letters(table, 0x1F1E6);        // 🇦 regional indicators, spelled out as letters too

  // Arabic-Indic, Devanagari, ... digits: NFKC keeps them, rules expect ASCII.
  for (UChar32 c = 0x80; c <= 0x1FFFF; ++c) {
    if (u_charType(c) != U_DECIMAL_DIGIT_NUMBER) continue;
    const int value = u_charDigitValue(c);
    if (value >= 0 && value <= 9) table.set_ascii(c, CharTable::kStyled, std::to_string(value));
  }
}

}  // namespace vigil::normalize
