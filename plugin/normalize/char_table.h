// CharTable: the per-code-point replacements the normaliser decides once, at create():
// homoglyphs to Latin (confusables.cpp), styled digits and letters that NFKC leaves
// alone (styled.cpp), and Traditional to Simplified characters (traditional.cpp).
// Lookups are O(1) for the BMP (a flat 256 KiB array) and a binary search above it.
//
// Immutable once built and then safe to read from any thread. Movable, not copied.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugin/common/error.h"

namespace vigil::normalize {

class CharTable {
 public:
  enum Kind : uint32_t { kNone = 0, kConfusable = 1, kStyled = 2, kTraditional = 3 };

  // One replacement: up to three ASCII characters (kConfusable, kStyled) or one code
  // point (kTraditional).
  struct Mapping {
    Kind kind = kNone;
    uint8_t size = 0;
    char32_t out[3] = {0, 0, 0};
  };

  CharTable();
  ~CharTable() = default;
  CharTable(CharTable&&) = default;
  CharTable& operator=(CharTable&&) = default;
  CharTable(const CharTable&) = delete;
  CharTable& operator=(const CharTable&) = delete;

  // Records that `cp` becomes the ASCII text `ascii` (1-3 characters), unless `cp`
  // already has a replacement: the first one set wins.
  void set_ascii(char32_t cp, Kind kind, std::string_view ascii);
  // Records that `cp` becomes `to` (Traditional to Simplified), unless already set.
  void set_code_point(char32_t cp, char32_t to);
  // Sorts the entries above the BMP; call once after the last set_*().
  void finish();

  bool has(char32_t cp) const { return packed(cp) != 0; }
  Mapping lookup(char32_t cp) const;

 private:
  uint32_t packed(char32_t cp) const;
  void put(char32_t cp, uint32_t value);

  std::vector<uint32_t> bmp_;                          // indexed by code point < 0x10000
  std::vector<std::pair<char32_t, uint32_t>> astral_;  // sorted by code point after finish()
};

// The builders, one a file; call them once at create(), styled first.
//
// Styled forms NFKC keeps (dingbat and negative circled digits, negative circled and
// squared letters, regional indicators) and decimal digits of every script.
void add_styled(CharTable& table);
// Letters and digits outside Latin whose UTS #39 skeleton is a Latin letter or digit
// (Cyrillic "р" -> "p", Greek "ο" -> "o"), and Latin letters with diacritics ("à" -> "a").
// Han, kana, Hangul and the CJK symbols are never mapped. Needs ICU's confusable data.
// Returns false when ICU's spoof checker cannot be opened.
bool add_confusables(CharTable& table);
// Traditional characters to Simplified, from OpenCC's TSCharacters.ocd2 in `opencc_dir`
// (the first, default value of each single-character entry).
Status<> add_traditional(CharTable& table, const std::string& opencc_dir);

}  // namespace vigil::normalize
