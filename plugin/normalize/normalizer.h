// Normalizer: chat text in, NormalizedText out (see normalized_text.h), so that one rule
// written against plain lower-case text also matches the usual disguises: full-width
// and styled letters, homoglyphs, invisibles, leetspeak, spaced-out letters, long
// repeats, Traditional Chinese and Chinese numerals.
//
// What rules can rely on, in the order it happens (each step sets its Transform bit
// when it changes something):
//  1. invalid UTF-8 -> U+FFFD, one per bad byte;
//  2. invisibles dropped: zero-width, bidi controls, soft hyphen, U+2060-2064, BOM,
//     every Default_Ignorable_Code_Point, C0/C1 controls (tab and line breaks stay);
//  3. homoglyphs to Latin, from ICU's UTS #39 skeletons of single characters (Cyrillic
//     "р" -> "p", Greek "Η" -> "h", "à" -> "a"); never Han, kana or Hangul;
//  4. NFKC + case folding (full-width, circled, mathematical forms -> ASCII), then the
//     styled forms NFKC keeps (❶, 🅰, regional indicators) and every script's digits;
//  5. Traditional -> Simplified, character by character (OpenCC's TSCharacters);
//  6. Chinese numerals -> digits in runs that read as numbers: two or more ("一三八",
//     "幺" is 1 there), one before 岁/周岁/年级, 十 compounds 10-99 ("十三岁" -> "13岁");
//     a lone numeral in a word stays (一起, 初一, 十分);
//  7. three or more single letters set apart by one repeated separator joined ("s n a p",
//     "s.n.a.p" -> "snap"), except space-split runs of chat's one-letter words ("r u a");
//  8. leetspeak inside words: 0->o 1->i 3->e 4->a 5->s 7->t @->a $->s; numbers, ordinals
//     and number+unit ("13", "8th", "13yo"), runs of 3+ digits, 2 digits at a word's
//     edge, runs holding 2 6 8 9, one digit starting a word but 0 5 7 or ending one
//     but 0 3 ("4ever", "1v1", "b4", "ps5"), e-mails and @mentions stay;
//  9. ASCII letter runs longer than two cut to two ("sooooo" -> "soo"; not "www.").
//
// Immutable after create() and thread-safe: any number of threads may call normalize()
// at once, each with its own NormalizedText and NormalizeScratch. ASCII-only input skips
// the Unicode work. With reused output and scratch, normalize() allocates nothing in
// steady state. Not copyable; movable.
#pragma once

#include <memory>
#include <string_view>

#include "plugin/common/error.h"
#include "plugin/normalize/normalized_text.h"

namespace vigil {

struct NormalizerOptions {
  // Folder of OpenCC's data (TSCharacters.ocd2 ...); Debian installs it here.
  std::string opencc_dir = "/usr/share/opencc";
};

// Per-thread working buffers for normalize(); reuse one per thread.
struct NormalizeScratch;
struct NormalizeScratchDeleter {
  void operator()(NormalizeScratch* s) const;
};
using NormalizeScratchPtr = std::unique_ptr<NormalizeScratch, NormalizeScratchDeleter>;
NormalizeScratchPtr make_normalize_scratch();

class Normalizer {
 public:
  static Result<std::unique_ptr<Normalizer>> create(const NormalizerOptions& options = {});
  ~Normalizer();
  Normalizer(const Normalizer&) = delete;
  Normalizer& operator=(const Normalizer&) = delete;

  // Normalises `input` into `out` (cleared first). Invalid UTF-8 is repaired (each bad
  // byte becomes U+FFFD, kUtf8Repaired is set), never undefined behaviour. Inputs over
  // 4 GiB are refused by the caller's limits, not here.
  void normalize(std::string_view input, NormalizedText& out, NormalizeScratch& scratch) const;

 private:
  struct Impl;
  explicit Normalizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
