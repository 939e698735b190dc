// Normalizer: chat text in, NormalizedText out (see normalized_text.h), so that one rule
// written against plain lower-case text also matches the usual disguises: full-width
// and styled letters, homoglyphs, invisibles, leetspeak, spaced-out letters, long
// repeats, Traditional Chinese and Chinese numerals.
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

// The offset of the first invalid UTF-8 byte in `text`, or -1 when it is valid.
// For callers (the API) that reject rather than repair.
long find_invalid_utf8(std::string_view text);

}  // namespace vigil
