// The one UTF-8 codec of the tree: strict decoding by the well-formed byte sequences of
// Unicode's Table 3-7 (no overlongs, no surrogates, nothing past U+10FFFF), so invalid
// input is detected byte by byte and never read past its end. The message reader
// rejects what it refuses, the verdict writer replaces it, the normaliser repairs it.
// Free functions, no state; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vigil {

// Decodes the code point at p[0..n), n > 0. Returns its length in bytes (1-4) and sets
// `cp`, or returns 0 when p[0] does not start a well-formed sequence.
inline int decode_utf8(const unsigned char* p, size_t n, char32_t& cp) {
  const unsigned char b0 = p[0];
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  if (b0 < 0xC2) return 0;  // continuation byte or overlong two-byte lead
  if (b0 < 0xE0) {
    if (n < 2 || (p[1] & 0xC0) != 0x80) return 0;
    cp = (char32_t(b0 & 0x1F) << 6) | (p[1] & 0x3F);
    return 2;
  }
  if (b0 < 0xF0) {
    if (n < 3) return 0;
    const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;  // E0 80..9F would be overlong
    const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;  // ED A0..BF would be surrogates
    if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80) return 0;
    cp = (char32_t(b0 & 0x0F) << 12) | (char32_t(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    return 3;
  }
  if (b0 > 0xF4 || n < 4) return 0;
  const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;  // F0 80..8F would be overlong
  const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;  // F4 90.. is past U+10FFFF
  if (p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
  cp = (char32_t(b0 & 0x07) << 18) | (char32_t(p[1] & 0x3F) << 12) | (char32_t(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
  return 4;
}

// Writes the UTF-8 of `cp` (a scalar value) to out[0..4) and returns its length.
inline int encode_utf8(char32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

// The length of the UTF-8 of `cp`.
inline int utf8_length(char32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

// Whether every byte of [p, p + n) is ASCII; reads eight bytes at a time.
bool is_ascii(const char* p, size_t n);

// The offset of the first invalid UTF-8 byte in `text`, or -1 when it is valid.
long find_invalid_utf8(std::string_view text);

inline bool valid_utf8(std::string_view text) { return find_invalid_utf8(text) < 0; }

}  // namespace vigil
