// Helpers shared by the normaliser's tests: one Normalizer per test program (building
// its tables takes a few milliseconds), and spans as comparable pairs.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugin/common/utf8.h"
#include "plugin/normalize/normalizer.h"

namespace vigil::testing {

inline const Normalizer& test_normalizer() {
  static const std::unique_ptr<Normalizer> normalizer = [] {
    auto created = Normalizer::create();
    if (!created.ok()) FAIL(created.error().to_text());
    return std::move(created).value();
  }();
  return *normalizer;
}

inline NormalizedText normalize(std::string_view input) {
  static NormalizeScratchPtr scratch = make_normalize_scratch();
  NormalizedText out;
  test_normalizer().normalize(input, out, *scratch);
  return out;
}

using Span = std::pair<uint32_t, uint32_t>;

// origin[] as pairs, one per normalised byte.
inline std::vector<Span> spans(const NormalizedText& t) {
  std::vector<Span> result;
  for (const OriginalSpan& s : t.origin) result.emplace_back(s.begin, s.end);
  return result;
}

// The original span of the first occurrence of `needle` in the normalised text.
inline Span original_of(const NormalizedText& t, std::string_view needle) {
  const size_t at = t.text.find(needle);
  REQUIRE(at != std::string::npos);
  REQUIRE(!needle.empty());
  const OriginalSpan s = t.to_original(static_cast<uint32_t>(at), static_cast<uint32_t>(at + needle.size()));
  return {s.begin, s.end};
}

// Spans [i, i + step) for i = first, first + step, ... for `count` normalised bytes each
// (a code point of `step` bytes normalised to `count` bytes), `n` times.
inline std::vector<Span> repeated_spans(uint32_t first, uint32_t step, uint32_t count, uint32_t n) {
  std::vector<Span> result;
  for (uint32_t k = 0; k < n; ++k) {
    for (uint32_t c = 0; c < count; ++c) result.emplace_back(first + k * step, first + (k + 1) * step);
  }
  return result;
}

// The offset map's invariants for `input`: one span per byte, each non-empty and inside
// the input, begins and ends never decreasing, and valid UTF-8 out.
inline void check_invariants(std::string_view input, const NormalizedText& t) {
  REQUIRE(t.origin.size() == t.text.size());
  REQUIRE(find_invalid_utf8(t.text) == -1);
  // Checked in plain code and reported once: a REQUIRE per byte is slow on 1 MB.
  OriginalSpan previous{0, 0};
  for (size_t i = 0; i < t.origin.size(); ++i) {
    const OriginalSpan s = t.origin[i];
    const bool ok = s.begin < s.end && s.end <= input.size() && s.begin >= previous.begin && s.end >= previous.end;
    if (!ok) {
      INFO("normalised byte " << i << " of " << t.origin.size() << ": span [" << s.begin << ", " << s.end
                              << "), previous [" << previous.begin << ", " << previous.end << "), input "
                              << input.size() << " bytes");
      FAIL("offset map invariant broken");
    }
    previous = s;
  }
}

}  // namespace vigil::testing
