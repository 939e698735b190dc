#include "plugin/normalize/normalizer.h"

#include <unicode/edits.h>
#include <unicode/normalizer2.h>

#include <iterator>
#include <string>

#include "plugin/common/utf8.h"
#include "plugin/normalize/char_table.h"
#include "plugin/normalize/passes.h"
#include "plugin/normalize/unit.h"

namespace vigil {

// Capacity for a message of this many bytes is reserved up front, so that ordinary chat
// never grows a buffer; longer messages grow them once and keep the capacity.
constexpr size_t kReservedBytes = 1024;

struct NormalizeScratch {
  normalize::Units units;
  normalize::Units spare;
  std::string utf8;    // the decoded text handed to ICU, when it differs from the input
  std::string folded;  // ICU's output
  icu::Edits edits;
};

void NormalizeScratchDeleter::operator()(NormalizeScratch* s) const { delete s; }

NormalizeScratchPtr make_normalize_scratch() {
  NormalizeScratchPtr scratch(new NormalizeScratch);
  scratch->units.reserve(kReservedBytes);
  scratch->spare.reserve(kReservedBytes);
  scratch->utf8.reserve(kReservedBytes);
  scratch->folded.reserve(kReservedBytes);
  return scratch;
}

struct Normalizer::Impl {
  const icu::Normalizer2* nfkc_casefold = nullptr;  // owned by ICU, immutable, shared
  normalize::CharTable table;
};

Normalizer::Normalizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Normalizer::~Normalizer() = default;

Result<std::unique_ptr<Normalizer>> Normalizer::create(const NormalizerOptions& options) {
  auto impl = std::make_unique<Impl>();
  UErrorCode status = U_ZERO_ERROR;
  impl->nfkc_casefold = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_FAILURE(status) || impl->nfkc_casefold == nullptr) {
    return Error("normalize.icu_data",
                 std::string("ICU's NFKC_Casefold data cannot be loaded: ") + u_errorName(status));
  }
  normalize::add_styled(impl->table);
  if (!normalize::add_confusables(impl->table)) {
    return Error("normalize.icu_data", "ICU's confusable (UTS #39) data cannot be loaded");
  }
  if (Status<> st = normalize::add_traditional(impl->table, options.opencc_dir); !st) {
    return st.error();
  }
  impl->table.finish();
  return std::unique_ptr<Normalizer>(new Normalizer(std::move(impl)));
}

void Normalizer::normalize(std::string_view input, NormalizedText& out, NormalizeScratch& scratch) const {
  out.clear();
  if (input.empty()) return;
  uint32_t transforms = 0;
  if (is_ascii(input.data(), input.size())) {
    transforms |= normalize::decode_ascii(input, out);
  } else {
    normalize::Units& units = scratch.units;
    std::string_view utf8;
    transforms |= normalize::decode_unicode(input, impl_->table, scratch.spare, scratch.utf8, utf8);
    transforms |= normalize::fold_unicode(*impl_->nfkc_casefold, impl_->table, utf8, scratch.spare, units,
                                          scratch.edits, scratch.folded);
    transforms |= normalize::drop_stray_marks(units);
    transforms |= normalize::fold_chinese_numerals(units, scratch.spare);
    normalize::encode(units, out);
  }
  transforms |= normalize::join_spaced_letters(out);
  transforms |= normalize::fold_leetspeak(out.text);
  transforms |= normalize::shorten_repeats(out);
  out.transforms = transforms;
}

std::vector<std::string_view> transform_names(uint32_t transforms) {
  static constexpr std::string_view kNames[] = {
      "utf8_repaired",  "nfkc_casefold",     "invisible_removed",         "confusable_mapped",
      "styled_mapped",  "chinese_numerals",  "traditional_to_simplified", "leetspeak",
      "spaced_letters", "repeats_shortened",
  };
  std::vector<std::string_view> names;
  for (size_t bit = 0; bit < std::size(kNames); ++bit) {
    if (transforms & (1u << bit)) names.push_back(kNames[bit]);
  }
  return names;
}

}  // namespace vigil
