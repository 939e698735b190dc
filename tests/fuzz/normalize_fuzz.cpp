// Fuzz target: the normaliser. Any bytes in; checked:
//   - the output is valid UTF-8 with one origin span per byte;
//   - every span is a non-empty [begin, end) inside the input, and begins and ends never
//     decrease (so to_original() of any normalised range is a range of the input);
//   - normalising the output again changes nothing (the passes reach a fixed point, so a
//     rule written against normalised text matches the same text however it arrives).
#include <cstdint>
#include <string>
#include <string_view>

#include "plugin/common/utf8.h"
#include "plugin/normalize/normalizer.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

void check_origin(const vigil::NormalizedText& out, size_t input_size) {
  FUZZ_CHECK(out.origin.size() == out.text.size(), "one origin span per normalised byte");
  FUZZ_CHECK(vigil::find_invalid_utf8(out.text) == -1, "normalised text is valid UTF-8");
  vigil::OriginalSpan previous{0, 0};
  for (const vigil::OriginalSpan& s : out.origin) {
    FUZZ_CHECK(s.begin < s.end, "origin span is non-empty");
    FUZZ_CHECK(s.end <= input_size, "origin span ends inside the input");
    FUZZ_CHECK(s.begin >= previous.begin && s.end >= previous.end, "origin spans never go back");
    previous = s;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const vigil::Normalizer* normalizer = vigil::Normalizer::create().value().release();
  static vigil::NormalizeScratchPtr scratch = vigil::make_normalize_scratch();
  static vigil::NormalizedText out, again;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  normalizer->normalize(input, out, *scratch);
  check_origin(out, size);
  normalizer->normalize(out.text, again, *scratch);
  check_origin(again, out.text.size());
  FUZZ_CHECK(again.text == out.text, "normalising twice gives what normalising once gave");
  return 0;
}
