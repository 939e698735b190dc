// Homoglyphs to Latin, derived once from ICU's UTS #39 data: a code point is mapped
// when its skeleton, with combining marks dropped, is the skeleton of one to three ASCII
// letters or digits. The skeleton is applied to single code points rather than to the
// text because on text it also folds Latin itself ("m" has the skeleton "rn").
// The normaliser applies the table before case folding too, since a capital and its
// small letter need not look alike (Greek "Η" is an H, "η" an n).
#include <unicode/uchar.h>
#include <unicode/uspoof.h>
#include <unicode/utf16.h>

#include <map>
#include <memory>
#include <string>

#include "plugin/normalize/char_table.h"

namespace vigil::normalize {
namespace {

struct SpoofCloser {
  void operator()(USpoofChecker* sc) const { uspoof_close(sc); }
};

// Han, kana, Hangul, Yi and the CJK symbol blocks: rules keep Chinese as written, and
// some of these have Latin-looking skeletons (a CJK full stop, the long vowel mark).
bool is_cjk_block(UChar32 c) {
  return (c >= 0x1100 && c <= 0x11FF) || (c >= 0x2E80 && c <= 0xA4CF) || (c >= 0xA960 && c <= 0xA97F) ||
         (c >= 0xAC00 && c <= 0xD7FF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) ||
         (c >= 0xFF61 && c <= 0xFFDC) || (c >= 0x16FE0 && c <= 0x1B2FF) || (c >= 0x1F200 && c <= 0x1F2FF) ||
         c >= 0x20000;
}

// The skeleton of `c` without its nonspacing marks, as UTF-16.
std::u16string skeleton(const USpoofChecker* sc, UChar32 c) {
  UChar in[2];
  int32_t n = 0;
  U16_APPEND_UNSAFE(in, n, c);
  UChar out[64];
  UErrorCode status = U_ZERO_ERROR;
  const int32_t len = uspoof_getSkeleton(sc, 0, in, n, out, 64, &status);
  if (U_FAILURE(status)) return {};
  std::u16string result;
  for (int32_t i = 0; i < len;) {
    UChar32 s;
    U16_NEXT(out, i, len, s);
    if (u_charType(s) == U_NON_SPACING_MARK) continue;
    UChar units[2];
    int32_t k = 0;
    U16_APPEND_UNSAFE(units, k, s);
    result.append(units, units + k);
  }
  return result;
}

}  // namespace

bool add_confusables(CharTable& table) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<USpoofChecker, SpoofCloser> sc(uspoof_open(&status));
  if (U_FAILURE(status)) return false;

  // Skeleton -> the ASCII text it stands for. Lower-case letters first, so that "l"
  // (the skeleton of l, I and 1) and "o" stay letters; then upper case (NFKC casefold
  // leaves a few scripts' look-alikes of capitals), then digits.
  std::map<std::u16string, std::string> ascii_of;
  const std::string letters = "abcdefghijklmnopqrstuvwxyz";
  for (char c : letters) ascii_of.emplace(skeleton(sc.get(), c), std::string(1, c));
  for (char c : letters) ascii_of.emplace(skeleton(sc.get(), c - 'a' + 'A'), std::string(1, c));
  for (char c = '0'; c <= '9'; ++c) ascii_of.emplace(skeleton(sc.get(), c), std::string(1, c));
  // Per-code-point pieces, for skeletons that spell several letters ("æ" -> "ae").
  std::map<char16_t, char> piece_of;
  for (const auto& [skel, ascii] : ascii_of) {
    if (skel.size() == 1) piece_of.emplace(skel[0], ascii[0]);
  }

  for (UChar32 c = 0x80; c <= 0x1FFFF; ++c) {
    if (is_cjk_block(c) || (c >= 0xD800 && c <= 0xDFFF) || c == 0xFFFD) continue;
    // Compatibility forms are NFKC's (and named styled when they become ASCII).
    const auto decomposition = u_getIntPropertyValue(c, UCHAR_DECOMPOSITION_TYPE);
    if (decomposition != U_DT_NONE && decomposition != U_DT_CANONICAL) continue;
    const std::u16string skel = skeleton(sc.get(), c);
    if (skel.empty()) continue;
    if (auto it = ascii_of.find(skel); it != ascii_of.end()) {
      table.set_ascii(static_cast<char32_t>(c), CharTable::kConfusable, it->second);
      continue;
    }
    if (skel.size() > 3) continue;
    std::string ascii;
    for (char16_t unit : skel) {
      auto piece = piece_of.find(unit);
      if (piece == piece_of.end()) break;
      ascii.push_back(piece->second);
    }
    if (ascii.size() == skel.size()) {
      table.set_ascii(static_cast<char32_t>(c), CharTable::kConfusable, ascii);
    }
  }
  return true;
}

}  // namespace vigil::normalize
