// NFKC + case folding through ICU's UTF-8 API with Edits, whose fine-grained changes say
// which source bytes produced which output bytes: that is what keeps the offset map
// exact through expansions ("⑩" -> "10"), contractions ("e" + U+0301 -> "é") and
// casing ("ß" -> "ss"). The CharTable's replacements are applied to what comes out.
#include <unicode/bytestream.h>
#include <unicode/edits.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>

#include <limits>

#include "plugin/common/utf8.h"
#include "plugin/normalize/normalized_text.h"
#include "plugin/normalize/passes.h"

namespace vigil::normalize {
namespace {

// Appends `c` with span [begin, end) after the CharTable's replacement, if any.
uint32_t emit(const CharTable& table, char32_t c, uint32_t begin, uint32_t end, Units& out) {
  if (c < 0x80) {
    out.push_back(Unit{c, begin, end});
    return 0;
  }
  const CharTable::Mapping m = table.lookup(c);
  if (m.kind == CharTable::kNone) {
    out.push_back(Unit{c, begin, end});
    return 0;
  }
  for (int i = 0; i < m.size; ++i) out.push_back(Unit{m.out[i], begin, end});
  switch (m.kind) {
    case CharTable::kConfusable:
      return kConfusableMapped;
    case CharTable::kStyled:
      return kStyledMapped;
    case CharTable::kTraditional:
      return kTraditionalToSimplified;
    case CharTable::kNone:
      break;
  }
  return 0;
}

// A compatibility form (full-width, circled, mathematical: a decomposition that is not
// canonical) of non-ASCII text that becomes ASCII letters or digits is a styled form;
// any other change is NFKC or case folding ("ß" -> "ss", "É" -> "é").
uint32_t classify_change(std::string_view before, std::string_view after) {
  bool after_ascii = true;
  bool after_alnum = false;
  for (char b : after) {
    after_ascii = after_ascii && static_cast<unsigned char>(b) < 0x80;
    after_alnum = after_alnum || is_ascii_alnum(static_cast<unsigned char>(b));
  }
  if (!after_ascii || !after_alnum) return kNfkcCasefold;
  const auto* p = reinterpret_cast<const unsigned char*>(before.data());
  for (size_t i = 0; i < before.size();) {
    char32_t c;
    const int len = decode_utf8(p + i, before.size() - i, c);
    if (len == 0) break;
    if (c >= 0x80) {
      const auto type = u_getIntPropertyValue(static_cast<UChar32>(c), UCHAR_DECOMPOSITION_TYPE);
      return type != U_DT_NONE && type != U_DT_CANONICAL ? kStyledMapped : kNfkcCasefold;
    }
    i += static_cast<size_t>(len);
  }
  return kNfkcCasefold;
}

}  // namespace

uint32_t fold_unicode(const icu::Normalizer2& nfkc_casefold, const CharTable& table, std::string_view utf8,
                      const Units& in, Units& out, icu::Edits& edits, std::string& folded) {
  out.clear();
  uint32_t transforms = 0;
  folded.clear();
  edits.reset();
  UErrorCode status = U_ZERO_ERROR;
  if (utf8.size() <= static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    icu::StringByteSink<std::string> sink(&folded);
    nfkc_casefold.normalizeUTF8(0, icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())), sink, &edits,
                                status);
  } else {
    status = U_INDEX_OUTOFBOUNDS_ERROR;  // ICU counts in int32_t; such text skips NFKC
  }
  if (U_FAILURE(status)) {
    for (const Unit& u : in) transforms |= emit(table, u.cp, u.begin, u.end, out);
    return transforms;
  }

  size_t next = 0;  // the first unit of `in` not yet consumed
  icu::Edits::Iterator it = edits.getFineIterator();
  while (it.next(status)) {
    const auto old_length = static_cast<size_t>(it.oldLength());
    if (!it.hasChange()) {
      for (size_t bytes = 0; bytes < old_length && next < in.size(); ++next) {
        const Unit& u = in[next];
        bytes += static_cast<size_t>(utf8_length(u.cp));
        transforms |= emit(table, u.cp, u.begin, u.end, out);
      }
      continue;
    }
    // The units of the changed source bytes, as one span.
    if (next >= in.size()) break;
    uint32_t begin = in[next].begin;
    uint32_t end = in[next].end;
    for (size_t bytes = 0; bytes < old_length && next < in.size(); ++next) {
      bytes += static_cast<size_t>(utf8_length(in[next].cp));
      end = in[next].end;
    }
    const auto dest = static_cast<size_t>(it.destinationIndex());
    const auto new_length = static_cast<size_t>(it.newLength());
    const std::string_view after(folded.data() + dest, new_length);
    transforms |= classify_change(std::string_view(utf8.data() + it.sourceIndex(), old_length), after);
    const auto* p = reinterpret_cast<const unsigned char*>(after.data());
    for (size_t i = 0; i < new_length;) {
      char32_t c;
      int len = decode_utf8(p + i, new_length - i, c);
      if (len == 0) {  // ICU writes well-formed UTF-8; never trust it blindly
        c = 0xFFFD;
        len = 1;
      }
      transforms |= emit(table, c, begin, end, out);
      i += static_cast<size_t>(len);
    }
  }
  // Edits cover the whole source; should an iteration stop early, keep the rest as is.
  for (; next < in.size(); ++next) transforms |= emit(table, in[next].cp, in[next].begin, in[next].end, out);
  return transforms;
}

uint32_t drop_stray_marks(Units& units) {
  uint32_t transforms = 0;
  size_t w = 0;
  for (size_t i = 0; i < units.size(); ++i) {
    const char32_t c = units[i].cp;
    const char32_t before = w > 0 ? units[w - 1].cp : 0;
    if (c >= 0x300 && ((before > ' ' && before < 0x7F) || is_chinese_numeral(before))) {
      const int8_t type = u_charType(static_cast<UChar32>(c));
      if (type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK) {
        units[w - 1].end = units[i].end;
        transforms |= kConfusableMapped;
        continue;
      }
    }
    units[w++] = units[i];
  }
  units.resize(w);
  return transforms;
}

}  // namespace vigil::normalize
