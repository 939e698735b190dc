// libFuzzer target for the normaliser: any bytes in, the offset map's invariants out
// (one span a byte, each non-empty and inside the input, begins and ends never
// decreasing) and valid UTF-8. Built only with Clang:
//   CXX=clang++ cmake -S . -B build-fuzz -DVIGIL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
//   cmake --build build-fuzz --target normalize_fuzz
//   build-fuzz/tests/plugin/normalize/normalize_fuzz -max_len=512 -max_total_time=300
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "plugin/normalize/normalizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const vigil::Normalizer* normalizer = vigil::Normalizer::create().value().release();
  static vigil::NormalizeScratchPtr scratch = vigil::make_normalize_scratch();
  static vigil::NormalizedText out;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  normalizer->normalize(input, out, *scratch);
  if (out.origin.size() != out.text.size() || vigil::find_invalid_utf8(out.text) != -1)
    std::abort();
  vigil::OriginalSpan previous{0, 0};
  for (const vigil::OriginalSpan& s : out.origin) {
    if (s.begin >= s.end || s.end > size || s.begin < previous.begin || s.end < previous.end)
      std::abort();
    previous = s;
  }
  return 0;
}
