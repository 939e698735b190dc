// RuleSetImpl: the compiled insides of a RuleSet, for the matcher, the example runner,
// explain and the benchmarks (which scan the same database bare). Built once by
// RuleSet::load and immutable afterwards: any number of threads may read it. Each
// scanning thread clones `scratch_prototype` once (hs_clone_scratch).
#pragma once

#include <re2/re2.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "plugin/rules/hs_database.h"
#include "plugin/rules/pack_parser.h"
#include "plugin/rules/rule.h"
#include "plugin/rules/rule_set.h"

namespace vigil {

struct CompiledPattern {
  std::unique_ptr<re2::RE2> re;
  uint32_t source = 0;   // index into Rule::patterns
  int age_group = -1;    // submatch index of (?P<age>...), or -1
  int grade_group = -1;  // submatch index of (?P<grade>...), or -1
};

// RE2 side of one rule, parallel to RuleSetImpl::rules.
struct CompiledRule {
  std::vector<CompiledPattern> patterns;
  std::vector<std::unique_ptr<re2::RE2>> unless;
};

struct ExampleMarks {
  std::vector<SourceMark> match, no_match;
};

class RuleSetImpl {
 public:
  std::vector<Stage> stages;
  std::vector<Rule> rules;
  std::vector<CompiledRule> compiled;       // parallel to rules
  std::vector<ExampleMarks> example_marks;  // parallel to rules
  std::vector<uint32_t> active;             // stable and shadow rules, ascending
  std::map<std::string, int, std::less<>> rule_by_id;
  std::string version;
  std::string stages_yaml;
  ScorerConfig scorer;
  std::filesystem::path stages_path;
  std::vector<RuleSet::PackInfo> packs;

  // ONE block-mode database of every active pattern. Match ids are numbered pattern by
  // pattern, rule by rule: id_rule[id] is the rule, and rule r's patterns have the ids
  // first_id[r] + i for i < compiled[r].patterns.size(). Null when no rule is active.
  HsDatabasePtr db;
  std::vector<uint32_t> id_rule;
  std::vector<uint32_t> first_id;  // parallel to rules
  HsScratchPtr scratch_prototype;
  bool db_from_cache = false;
  // Why the compiled database could not be written to the cache (code empty: written,
  // loaded from it, or no cache). The load itself succeeded.
  Error cache_write_error;
  // Submatch slots the largest pattern needs (groups + 1), for pre-sized buffers.
  size_t max_submatches = 1;
};

}  // namespace vigil
