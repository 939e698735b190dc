#include "plugin/rules/age_capture.h"

#include <array>

namespace vigil {

namespace {

constexpr int kMaxAge = 120;

constexpr std::array<std::string_view, 20> kUnits = {
    "zero", "one",    "two",    "three",    "four",     "five",    "six",     "seven",     "eight",    "nine",
    "ten",  "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
constexpr std::array<std::string_view, 10> kTens = {"",      "",      "twenty",  "thirty", "forty",
                                                    "fifty", "sixty", "seventy", "eighty", "ninety"};
constexpr std::array<std::string_view, 13> kOrdinals = {"",      "first",    "second",  "third",  "fourth",
                                                        "fifth", "sixth",    "seventh", "eighth", "ninth",
                                                        "tenth", "eleventh", "twelfth"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int parse_digits(std::string_view s) {
  if (s.empty() || s.size() > 3) return -1;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

template <size_t N>
int find_word(const std::array<std::string_view, N>& words, std::string_view s) {
  for (size_t i = 0; i < N; ++i) {
    if (!words[i].empty() && words[i] == s) return static_cast<int>(i);
  }
  return -1;
}

// "thirteen", "twenty", "twenty one", "twenty-one", "twentyone".
int parse_words(std::string_view s) {
  if (int u = find_word(kUnits, s); u >= 0) return u;
  for (size_t t = 2; t < kTens.size(); ++t) {
    if (s.substr(0, kTens[t].size()) != kTens[t]) continue;
    std::string_view rest = s.substr(kTens[t].size());
    if (rest.empty()) return static_cast<int>(t * 10);
    if (rest.front() == ' ' || rest.front() == '-') rest.remove_prefix(1);
    const int u = find_word(kUnits, rest);
    if (u >= 1 && u <= 9) return static_cast<int>(t * 10) + u;
    return -1;
  }
  return -1;
}

// One Chinese digit (UTF-8, 3 bytes) at the front of s: its value, or -1.
int chinese_digit(std::string_view s) {
  static constexpr std::array<std::string_view, 10> kDigits = {"零", "一", "二", "三", "四",
                                                               "五", "六", "七", "八", "九"};
  for (size_t i = 0; i < kDigits.size(); ++i) {
    if (s.substr(0, kDigits[i].size()) == kDigits[i]) return static_cast<int>(i);
  }
  if (s.substr(0, 3) == "两") return 2;
  return -1;
}

// 一 .. 九十九, with 十 as the tens marker ("十三", "二十", "二十一").
int parse_chinese(std::string_view s) {
  static constexpr std::string_view kTen = "十";
  int tens = 0;
  int units = 0;
  bool seen_ten = false;
  if (s.empty()) return -1;
  if (int d = chinese_digit(s); d >= 0) {
    units = d;
    s.remove_prefix(3);
  }
  if (s.substr(0, kTen.size()) == kTen) {
    seen_ten = true;
    tens = units == 0 ? 1 : units;
    units = 0;
    s.remove_prefix(kTen.size());
    if (int d = chinese_digit(s); d >= 0) {
      units = d;
      s.remove_prefix(3);
    }
  }
  if (!s.empty()) return -1;
  return seen_ten ? tens * 10 + units : units;
}

// Digits, English words or Chinese numerals.
int parse_number(std::string_view s) {
  s = trim(s);
  if (s.empty()) return -1;
  if (s.front() >= '0' && s.front() <= '9') return parse_digits(s);
  if (static_cast<unsigned char>(s.front()) >= 0x80) return parse_chinese(s);
  return parse_words(s);
}

}  // namespace

int parse_age(std::string_view text) {
  const int v = parse_number(text);
  return v > kMaxAge ? -1 : v;
}

int parse_grade(std::string_view text) {
  std::string_view s = trim(text);
  if (int o = find_word(kOrdinals, s); o >= 0) return o;
  for (std::string_view suffix : {"st", "nd", "rd", "th"}) {
    if (s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix &&
        s[s.size() - suffix.size() - 1] >= '0' && s[s.size() - suffix.size() - 1] <= '9') {
      s.remove_suffix(suffix.size());
      break;
    }
  }
  const int v = parse_number(s);
  return v > kMaxAge ? -1 : v;
}

}  // namespace vigil
