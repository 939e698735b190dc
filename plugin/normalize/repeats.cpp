// Long letter runs cut to two: "sooooo" -> "soo", "alooooone" -> "aloone". Two, not one,
// so that words spelled with a double letter ("soon", "too") survive. Digits stay
// (phone numbers), and so does "www." of a web address.
#include "plugin/normalize/normalized_text.h"
#include "plugin/normalize/passes.h"

namespace vigil::normalize {
namespace {

constexpr size_t kKept = 2;

}  // namespace

uint32_t shorten_repeats(Units& units) {
  uint32_t transforms = 0;
  size_t w = 0;
  for (size_t i = 0; i < units.size();) {
    const char32_t c = units[i].cp;
    size_t e = i + 1;
    if (is_ascii_letter(c)) {
      while (e < units.size() && units[e].cp == c) ++e;
    }
    const size_t length = e - i;
    const bool web = c == 'w' && length == 3 && e < units.size() && units[e].cp == '.';
    if (length <= kKept || web) {
      while (i < e) units[w++] = units[i++];
      continue;
    }
    units[w++] = units[i];
    units[w] = units[i + 1];
    units[w++].end = units[e - 1].end;  // the kept letter stands for the letters cut
    transforms |= kRepeatsShortened;
    i = e;
  }
  units.resize(w);
  return transforms;
}

}  // namespace vigil::normalize
