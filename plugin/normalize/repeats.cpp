// Long letter runs cut to two: "sooooo" -> "soo", "alooooone" -> "aloone". Two, not one,
// so that words spelled with a double letter ("soon", "too") survive. Digits stay
// (phone numbers), and so does "www." of a web address.
#include "plugin/normalize/normalized_text.h"
#include "plugin/normalize/passes.h"
#include "plugin/normalize/word_text.h"

namespace vigil::normalize {
namespace {

constexpr size_t kKept = 2;

}  // namespace

uint32_t shorten_repeats(NormalizedText& t) {
  const std::string& text = t.text;
  const size_t n = text.size();
  // Most messages hold no character three times in a row: a loop the compiler vectorises.
  uint8_t any = 0;
  for (size_t i = 0; i + kKept < n; ++i) {
    any |= static_cast<uint8_t>(text[i] == text[i + 1]) & static_cast<uint8_t>(text[i] == text[i + 2]);
  }
  if (any == 0) return 0;
  uint32_t transforms = 0;
  TextCompactor out(t);
  for (size_t i = 0; i + kKept < n;) {
    const char c = text[i];
    if (!is_letter_byte(c) || text[i + 1] != c) {
      ++i;
      continue;
    }
    size_t e = i + 2;
    while (e < n && text[e] == c) ++e;
    const size_t length = e - i;
    const bool web = c == 'w' && length == 3 && e < n && text[e] == '.';
    if (length > kKept && !web) {
      out.keep_until(i + kKept);
      out.last_span().end = t.origin[e - 1].end;  // the kept letter stands for the letters cut
      out.skip_to(e);
      transforms |= kRepeatsShortened;
    }
    i = e;
  }
  out.finish();
  return transforms;
}

}  // namespace vigil::normalize
