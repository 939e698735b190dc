// Placeholder until the rule loader lands.
#include "plugin/rules/rule_set.h"

namespace vigil {

class RuleSetImpl {};

RuleSet::RuleSet(std::unique_ptr<RuleSetImpl> impl) : impl_(std::move(impl)) {}
RuleSet::~RuleSet() = default;

Result<std::shared_ptr<const RuleSet>, Errors> RuleSet::load(const std::filesystem::path& dir,
                                                             const RuleLoadOptions&) {
  return Errors{Error("rules.unavailable", "the rule loader is not built yet").at(dir.string())};
}

}  // namespace vigil
