// Chinese numerals to ASCII digits, only where they read as a number: contact numbers
// spelled out ("一三八...", "幺三八"), ages and grades ("十三岁", "五年级"). A lone
// numeral inside a word (一起, 统一, 初一, 十分) stays, so rules on words still match.
#include "plugin/normalize/normalized_text.h"
#include "plugin/normalize/passes.h"

namespace vigil::normalize {
namespace {

constexpr int kNotNumeral = -1;
constexpr int kTen = 10;

// The digit value of a Chinese numeral, kTen for 十 and 拾, else kNotNumeral. Runs after
// Traditional to Simplified, so only the Simplified forms are listed.
int numeral_value(char32_t c) {
  switch (c) {
    case U'〇':
    case U'零':
      return 0;
    case U'一':
    case U'幺':
    case U'壹':
      return 1;
    case U'二':
    case U'贰':
      return 2;
    case U'三':
    case U'叁':
      return 3;
    case U'四':
    case U'肆':
      return 4;
    case U'五':
    case U'伍':
      return 5;
    case U'六':
    case U'陆':
      return 6;
    case U'七':
    case U'柒':
      return 7;
    case U'八':
    case U'捌':
      return 8;
    case U'九':
    case U'玖':
      return 9;
    case U'十':
    case U'拾':
      return kTen;
    default:
      return kNotNumeral;
  }
}

int run_value(char32_t c) { return is_ascii_digit(c) ? static_cast<int>(c - '0') : numeral_value(c); }

// Whether units[i...] reads 岁, 周岁 or 年级: an age or a school grade follows.
bool age_or_grade_at(const Units& units, size_t i) {
  if (i >= units.size()) return false;
  const char32_t c = units[i].cp;
  if (c == U'岁') return true;
  if (i + 1 >= units.size()) return false;
  const char32_t d = units[i + 1].cp;
  return (c == U'周' && d == U'岁') || (c == U'年' && d == U'级');
}

// Writes the run units[b, e) as digits when it reads as a number; returns whether it did.
bool convert_run(const Units& units, size_t b, size_t e, Units& out) {
  const size_t length = e - b;
  size_t chinese = 0;
  size_t tens = 0;
  size_t ten_at = 0;
  for (size_t i = b; i < e; ++i) {
    if (is_ascii_digit(units[i].cp)) continue;
    ++chinese;
    if (numeral_value(units[i].cp) == kTen) ++tens, ten_at = i;
  }
  if (chinese == 0) return false;
  if (length == 1 && !age_or_grade_at(units, e)) return false;

  auto digit = [&out](int value, const Unit& from) {
    out.push_back(Unit{static_cast<char32_t>('0' + value), from.begin, from.end});
  };
  if (tens == 0) {
    for (size_t i = b; i < e; ++i) digit(run_value(units[i].cp), units[i]);
    return true;
  }
  // 十 compounds, for ages and counts 10-99: [2-9]?十[1-9]?, Chinese numerals only.
  if (tens != 1 || chinese != length || length > 3) return false;
  const bool has_tens_digit = ten_at > b;
  const bool has_ones_digit = ten_at + 1 < e;
  if (ten_at - b > 1) return false;
  const int tens_digit = has_tens_digit ? numeral_value(units[b].cp) : 1;
  const int ones_digit = has_ones_digit ? numeral_value(units[ten_at + 1].cp) : 0;
  if (tens_digit < 1 || tens_digit > 9 || (has_ones_digit && (ones_digit < 1 || ones_digit > 9))) {
    return false;
  }
  digit(tens_digit, has_tens_digit ? units[b] : units[ten_at]);
  digit(ones_digit, has_ones_digit ? units[ten_at + 1] : units[ten_at]);
  return true;
}

}  // namespace

bool is_chinese_numeral(char32_t cp) { return cp >= 0x3007 && numeral_value(cp) != kNotNumeral; }

uint32_t fold_chinese_numerals(Units& units, Units& spare) {
  bool any = false;
  for (const Unit& u : units) {
    if (u.cp >= 0x3007 && numeral_value(u.cp) != kNotNumeral) {
      any = true;
      break;
    }
  }
  if (!any) return 0;

  spare.clear();
  uint32_t transforms = 0;
  // Writes units[b, e) converted when it reads as a number, else as it is.
  auto convert_or_copy = [&](size_t b, size_t e) {
    if (convert_run(units, b, e, spare)) {
      transforms |= kChineseNumerals;
      return;
    }
    spare.insert(spare.end(), units.begin() + static_cast<std::ptrdiff_t>(b),
                 units.begin() + static_cast<std::ptrdiff_t>(e));
  };
  for (size_t i = 0; i < units.size();) {
    if (run_value(units[i].cp) == kNotNumeral) {
      spare.push_back(units[i++]);
      continue;
    }
    size_t e = i + 1;
    bool ten = numeral_value(units[i].cp) == kTen;
    bool ascii = is_ascii_digit(units[i].cp);
    for (; e < units.size() && run_value(units[e].cp) != kNotNumeral; ++e) {
      ten = ten || numeral_value(units[e].cp) == kTen;
      ascii = ascii || is_ascii_digit(units[e].cp);
    }
    if (!(ten && ascii)) {
      convert_or_copy(i, e);
      i = e;
      continue;
    }
    // 十 next to ASCII digits ("7一十", "贰⑩十二" after NFKC): a Chinese part with 十 is
    // read on its own, the digits around it as one plain run, so that reading the
    // result again gives the same.
    size_t group = i;  // start of the plain run not yet written
    while (i < e) {
      size_t part = i + 1;
      while (part < e && is_ascii_digit(units[part].cp) == is_ascii_digit(units[i].cp)) ++part;
      bool part_has_ten = false;
      for (size_t k = i; k < part; ++k) part_has_ten = part_has_ten || numeral_value(units[k].cp) == kTen;
      if (part_has_ten) {
        if (group < i) convert_or_copy(group, i);
        convert_or_copy(i, part);
        group = part;
      }
      i = part;
    }
    if (group < e) convert_or_copy(group, e);
  }
  units.swap(spare);
  return transforms;
}

}  // namespace vigil::normalize
