// Placeholder until the real normaliser lands: ASCII lower-casing with an identity map.
#include "plugin/normalize/normalizer.h"

namespace vigil {

struct NormalizeScratch {};
void NormalizeScratchDeleter::operator()(NormalizeScratch* s) const { delete s; }
NormalizeScratchPtr make_normalize_scratch() { return NormalizeScratchPtr(new NormalizeScratch); }

struct Normalizer::Impl {};

Normalizer::Normalizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Normalizer::~Normalizer() = default;

Result<std::unique_ptr<Normalizer>> Normalizer::create(const NormalizerOptions&) {
  return std::unique_ptr<Normalizer>(new Normalizer(std::make_unique<Impl>()));
}

void Normalizer::normalize(std::string_view input, NormalizedText& out, NormalizeScratch&) const {
  out.clear();
  for (uint32_t i = 0; i < input.size(); ++i) {
    char c = input[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out.text.push_back(c);
    out.origin.push_back({i, i + 1});
  }
}

long find_invalid_utf8(std::string_view) { return -1; }

std::vector<std::string_view> transform_names(uint32_t) { return {}; }

}  // namespace vigil
