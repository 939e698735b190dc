// Matcher: finds the rule hits in one normalised message: one Hyperscan scan over the
// whole database, then RE2 (only on the rules that hit) for exact spans, `unless`
// vetoes and age captures. Spans are mapped back to the original text.
//
// One Matcher per thread: it owns the Hyperscan scratch for its RuleSet, cloned once at
// construction, never in the scan path (a clone that failed is retried by the next
// match()). With a reused HitList, match() allocates nothing
// in steady state. Holds a shared_ptr to its RuleSet, so a reload never pulls a snapshot
// out from under a running scan; rebuild the Matcher to move to a new RuleSet.
// Not copyable; movable.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "plugin/common/error.h"
#include "plugin/normalize/normalized_text.h"
#include "plugin/rules/rule_set.h"

namespace vigil {

struct Hit {
  uint32_t rule = 0;   // index into RuleSet::rules()
  uint32_t start = 0;  // byte span in the ORIGINAL text
  uint32_t end = 0;
  uint32_t norm_start = 0;  // byte span in the normalised text
  uint32_t norm_end = 0;
  int32_t age = -1;  // the disclosed age for age_signal rules, else -1
};

using HitList = std::vector<Hit>;

class Matcher {
 public:
  explicit Matcher(std::shared_ptr<const RuleSet> rules);
  ~Matcher();
  Matcher(Matcher&&) noexcept;
  Matcher& operator=(Matcher&&) noexcept;
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  // Replaces `out` with the hits of every active (stable or shadow) rule in `text`, at
  // most one per rule (the leftmost), ordered by start. Deprecated rules never hit.
  // rules.scan_failed (naming Hyperscan's return code) when the scan could not run: the
  // scratch could not be cloned (out of memory; retried on the next call) or hs_scan
  // failed. `out` is then empty and means nothing: not "no hits".
  Status<> match(const NormalizedText& text, HitList& out);

  const std::shared_ptr<const RuleSet>& rules() const { return rules_; }

 private:
  struct Scratch;
  std::shared_ptr<const RuleSet> rules_;
  std::unique_ptr<Scratch> scratch_;
};

// The same hits as Matcher::match, found with RE2 alone (every rule, no Hyperscan):
// slow; for the cross-check test and `hscollider`-style debugging.
void match_with_re2_only(const RuleSet& rules, const NormalizedText& text, HitList& out);

}  // namespace vigil
