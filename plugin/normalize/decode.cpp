// First pass: bytes to units. Invisibles go here, before NFKC, so that they can never
// split a word for the later passes and so that their removal is named for what it is.
#include <unicode/uchar.h>

#include <array>

#include "plugin/common/utf8.h"
#include "plugin/normalize/normalized_text.h"
#include "plugin/normalize/passes.h"

namespace vigil::normalize {
namespace {

constexpr bool is_ascii_control(char32_t c) {
  return (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') || c == 0x7F;
}

}  // namespace

bool is_invisible(char32_t c) {
  if (c < 0x80) return is_ascii_control(c);
  if (c < 0xA0) return true;  // C1 controls
  // CJK, Hangul syllables and the rest up to the variation selectors hold no invisible:
  // skip the property lookup for Chinese text.
  if (c >= 0x3400 && c < 0xFE00) return false;
  switch (c) {
    case 0x00AD:  // soft hyphen
    case 0xFEFF:  // zero-width no-break space, BOM
      return true;
    default:
      break;
  }
  if ((c >= 0x200B && c <= 0x200F) ||  // zero-width space, (non-)joiner, LRM, RLM
      (c >= 0x202A && c <= 0x202E) ||  // bidi embeddings and overrides
      (c >= 0x2060 && c <= 0x2064) ||  // word joiner, invisible operators
      (c >= 0x2066 && c <= 0x2069)) {  // bidi isolates
    return true;
  }
  return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_DEFAULT_IGNORABLE_CODE_POINT);
}

uint32_t decode_ascii(std::string_view input, NormalizedText& out) {
  // Per byte: its lower case, or 0 for a control character to drop.
  static constexpr std::array<uint8_t, 128> kFold = [] {
    std::array<uint8_t, 128> t{};
    for (int c = 0; c < 128; ++c) t[c] = is_ascii_control(c) ? 0 : static_cast<uint8_t>(c);
    for (int c = 'A'; c <= 'Z'; ++c) t[c] = static_cast<uint8_t>(c - 'A' + 'a');
    return t;
  }();
  const size_t n = input.size();
  out.text.resize(n);
  out.origin.resize(n);
  char* text = out.text.data();
  OriginalSpan* origin = out.origin.data();
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());

  // Chat rarely holds control characters (tabs and line breaks included): without them
  // every byte maps to one, in loops GCC vectorises (sums, not ORs of booleans).
  size_t controls = 0;
  size_t upper = 0;
  for (size_t i = 0; i < n; ++i) {
    controls += (in[i] < 0x20) + (in[i] == 0x7F);
    upper += static_cast<unsigned char>(in[i] - 'A') < 26;
  }
  if (controls == 0) {
    for (size_t i = 0; i < n; ++i) {
      const unsigned char c = in[i];
      text[i] = static_cast<char>(c + (static_cast<unsigned char>(c - 'A') < 26 ? 'a' - 'A' : 0));
    }
    for (size_t i = 0; i < n; ++i) {
      origin[i] = OriginalSpan{static_cast<uint32_t>(i), static_cast<uint32_t>(i + 1)};
    }
    return upper != 0 ? uint32_t{kNfkcCasefold} : 0u;
  }

  size_t dropped = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t folded = kFold[in[i]];
    if (folded == 0) {
      ++dropped;
      continue;
    }
    *text++ = static_cast<char>(folded);
    *origin++ = OriginalSpan{static_cast<uint32_t>(i), static_cast<uint32_t>(i + 1)};
  }
  out.text.resize(n - dropped);
  out.origin.resize(n - dropped);
  return (upper != 0 ? uint32_t{kNfkcCasefold} : 0u) | (dropped != 0 ? uint32_t{kInvisibleRemoved} : 0u);
}

void encode(const Units& units, NormalizedText& out) {
  size_t bytes = 0;
  for (const Unit& u : units) bytes += static_cast<size_t>(utf8_length(u.cp));
  out.text.resize(bytes);
  out.origin.resize(bytes);
  char* text = out.text.data();
  OriginalSpan* origin = out.origin.data();
  for (const Unit& u : units) {
    const OriginalSpan span{u.begin, u.end};
    const int n = u.cp < 0x80 ? (*text = static_cast<char>(u.cp), 1) : encode_utf8(u.cp, text);
    text += n;
    for (int k = 0; k < n; ++k) *origin++ = span;
  }
}

uint32_t decode_unicode(std::string_view input, const CharTable& table, Units& out, std::string& buffer,
                        std::string_view& utf8) {
  out.clear();
  uint32_t transforms = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(input.data());
  const size_t n = input.size();
  // Most text comes through unchanged: it is copied to `buffer` only from the first
  // change on, and until then ICU reads the input itself.
  bool copying = false;
  auto start_copy = [&](size_t upto) {
    if (copying) return;
    buffer.assign(input.data(), upto);
    copying = true;
  };
  for (size_t i = 0; i < n;) {
    char32_t c;
    int len = decode_utf8(p + i, n - i, c);
    if (len == 0) {
      start_copy(i);
      c = 0xFFFD;
      len = 1;
      transforms |= kUtf8Repaired;
    } else if (is_invisible(c)) {
      start_copy(i);
      transforms |= kInvisibleRemoved;
      i += static_cast<size_t>(len);
      continue;
    }
    const auto begin = static_cast<uint32_t>(i);
    const auto end = begin + static_cast<uint32_t>(len);
    i += static_cast<size_t>(len);
    if (c >= 0x80) {
      const CharTable::Mapping m = table.lookup(c);
      if (m.kind == CharTable::kConfusable) {
        start_copy(begin);
        for (int k = 0; k < m.size; ++k) {
          out.push_back(Unit{m.out[k], begin, end});
          buffer.push_back(static_cast<char>(m.out[k]));
        }
        transforms |= kConfusableMapped;
        continue;
      }
    }
    out.push_back(Unit{c, begin, end});
    if (copying) {
      char bytes[4];
      buffer.append(bytes, static_cast<size_t>(encode_utf8(c, bytes)));
    }
  }
  utf8 = copying ? std::string_view(buffer) : input;
  return transforms;
}

}  // namespace vigil::normalize
