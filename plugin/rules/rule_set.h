// RuleSet: an immutable, compiled snapshot of the rule packs in one folder: the stages,
// the rules, ONE Hyperscan block-mode database of every active pattern, the RE2 objects
// that confirm hits and take spans and captures, and the scorer's configuration (the
// `scorer:` and `levels:` of stages.yaml), so the scorer and the rules always come from
// the same load. stages.yaml is read once, and validated whole (its stages and the
// scorer's invariants): the one check that `vigil serve`, `vigil rules lint|test` and
// every other command share, so a folder one of them refuses, all of them refuse.
//
// Shared as std::shared_ptr<const RuleSet> and swapped atomically on reload; a RuleSet
// is never changed after load() returns it, so any number of threads may read it.
// A load that fails returns every problem found and leaves whatever was loaded before
// untouched. Not copyable, not movable (held by shared_ptr).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "plugin/common/error.h"
#include "plugin/rules/rule.h"
#include "plugin/scoring/scorer_config.h"

namespace vigil {

struct RuleLoadOptions {
  // Where compiled Hyperscan databases are cached, keyed by content hash and Hyperscan
  // version. Empty: no cache.
  std::filesystem::path cache_dir;
  // RE2 memory budget per compiled regex; RE2 slows sharply below what a pattern needs.
  int64_t re2_max_mem = 64 << 20;
  // Run every rule's examples during load; a failing example fails the load.
  bool run_examples = true;
};

class RuleSetImpl;  // compiled parts (Hyperscan database, RE2 objects), see rule_set.cpp

class RuleSet {
 public:
  // Loads `dir`/stages.yaml and every *.yaml below `dir` (recursively, sorted by path).
  static Result<std::shared_ptr<const RuleSet>, Errors> load(const std::filesystem::path& dir,
                                                             const RuleLoadOptions& options = {});
  ~RuleSet();
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  const std::vector<Stage>& stages() const;
  const std::vector<Rule>& rules() const;
  // Index of the stage named `name`, or -1.
  int stage_index(std::string_view name) const;
  // Index of the rule with `id`, or -1.
  int rule_index(std::string_view id) const;
  // Content hash of every loaded file (hex); the verdict's rules_version.
  const std::string& version() const;
  // The scorer's configuration, validated with the rules (ScorerConfig::from_yaml).
  const ScorerConfig& scorer_config() const;
  // The text and path of stages.yaml.
  const std::string& stages_yaml() const;
  const std::filesystem::path& stages_path() const;
  // Pack names with their file and rule count, for GET /v1/rules.
  struct PackInfo {
    std::string name, language, file;
    size_t rules = 0;
  };
  const std::vector<PackInfo>& packs() const;
  // Why the compiled database could not be written to RuleLoadOptions::cache_dir
  // (rules.cache_write_failed), or null. Not a load failure: the next load compiles again.
  const Error* cache_write_error() const;

  const RuleSetImpl& impl() const { return *impl_; }

 private:
  explicit RuleSet(std::unique_ptr<RuleSetImpl> impl);
  std::unique_ptr<RuleSetImpl> impl_;
};

}  // namespace vigil
