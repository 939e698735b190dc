#include "plugin/normalize/char_table.h"

#include <algorithm>

namespace vigil::normalize {
namespace {

// A packed entry: the kind in bits 30-31; below it either one code point
// (kTraditional) or up to three ASCII bytes, the first in bits 0-7.
constexpr uint32_t kKindShift = 30;
constexpr uint32_t kPayloadMask = (1u << kKindShift) - 1;

}  // namespace

CharTable::CharTable() : bmp_(0x10000, 0) {}

void CharTable::put(char32_t cp, uint32_t value) {
  if (cp < 0x10000) {
    if (bmp_[cp] == 0) bmp_[cp] = value;
    return;
  }
  astral_.emplace_back(cp, value);
}

void CharTable::set_ascii(char32_t cp, Kind kind, std::string_view ascii) {
  if (ascii.empty() || ascii.size() > 3) return;
  uint32_t value = 0;
  for (size_t i = 0; i < ascii.size(); ++i) {
    value |= static_cast<uint32_t>(static_cast<unsigned char>(ascii[i]) & 0x7F) << (8 * i);
  }
  put(cp, value | (static_cast<uint32_t>(kind) << kKindShift));
}

void CharTable::set_code_point(char32_t cp, char32_t to) {
  put(cp, static_cast<uint32_t>(to) | (static_cast<uint32_t>(kTraditional) << kKindShift));
}

void CharTable::finish() {
  // The first entry set for a code point wins, as in the BMP array.
  std::stable_sort(astral_.begin(), astral_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  astral_.erase(
      std::unique(astral_.begin(), astral_.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
      astral_.end());
}

uint32_t CharTable::packed(char32_t cp) const {
  if (cp < 0x10000) return bmp_[cp];
  auto it = std::lower_bound(astral_.begin(), astral_.end(), cp,
                             [](const auto& entry, char32_t c) { return entry.first < c; });
  return it != astral_.end() && it->first == cp ? it->second : 0;
}

CharTable::Mapping CharTable::lookup(char32_t cp) const {
  Mapping m;
  const uint32_t value = packed(cp);
  if (value == 0) return m;
  m.kind = static_cast<Kind>(value >> kKindShift);
  const uint32_t payload = value & kPayloadMask;
  if (m.kind == kTraditional) {
    m.size = 1;
    m.out[0] = payload;
    return m;
  }
  for (int i = 0; i < 3; ++i) {
    const char32_t c = (payload >> (8 * i)) & 0x7F;
    if (c == 0) break;
    m.out[m.size++] = c;
  }
  return m;
}

}  // namespace vigil::normalize
