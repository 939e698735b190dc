// Placeholder until the matcher lands.
#include "plugin/rules/matcher.h"

namespace vigil {

struct Matcher::Scratch {};
Matcher::Matcher(std::shared_ptr<const RuleSet> rules) : rules_(std::move(rules)) {}
Matcher::~Matcher() = default;
Matcher::Matcher(Matcher&&) noexcept = default;
Matcher& Matcher::operator=(Matcher&&) noexcept = default;
void Matcher::match(const NormalizedText&, HitList& out) { out.clear(); }
void match_with_re2_only(const RuleSet&, const NormalizedText&, HitList& out) { out.clear(); }

}  // namespace vigil
