// Shared by the rules tests: the valid fixture folder loaded once, and a one-call
// normalise+match.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "plugin/normalize/normalizer.h"
#include "plugin/rules/matcher.h"
#include "plugin/rules/rule_set.h"

namespace vigil::test {

inline const std::string kRuleFixtures = VIGIL_SOURCE_DIR "/tests/fixtures/rules/";

inline std::shared_ptr<const RuleSet> load_rules(const std::string& dir, const RuleLoadOptions& options = {}) {
  auto loaded = RuleSet::load(dir, options);
  INFO((loaded.ok() ? std::string() : to_text(loaded.error())));
  REQUIRE(loaded.ok());
  return *loaded;
}

inline std::shared_ptr<const RuleSet> valid_rules() {
  static const std::shared_ptr<const RuleSet> rules = load_rules(kRuleFixtures + "valid");
  return rules;
}

inline const Normalizer& normalizer() {
  static const std::unique_ptr<Normalizer> n = std::move(Normalizer::create().value());
  return *n;
}

// Normalises and matches `input` with a Matcher of `rules`.
struct Matched {
  NormalizedText text;
  HitList hits;
  bool has(const RuleSet& rules, const std::string& id) const {
    for (const Hit& h : hits) {
      if (rules.rules()[h.rule].id == id) return true;
    }
    return false;
  }
};

inline Matched match(const std::shared_ptr<const RuleSet>& rules, const std::string& input) {
  Matched m;
  auto scratch = make_normalize_scratch();
  normalizer().normalize(input, m.text, *scratch);
  REQUIRE(Matcher(rules).match(m.text, m.hits).ok());
  return m;
}

}  // namespace vigil::test
