// The parsing half of the rule loader: one YAML file's text in, its rules (or stages)
// out, with every problem found appended to an Errors list (code, message, file:line:
// column, rule id). Checks what one file can tell: syntax, unknown and missing keys,
// types and values, list references, empty patterns, missing examples. Checks that need
// every file or the compiled regexes (duplicate ids, unknown stages, bad regexes, age
// groups, examples) are the loader's (rule_set.cpp). Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "plugin/common/error.h"
#include "plugin/rules/rule.h"

namespace YAML {
class Node;
}

namespace vigil {

struct SourceMark {
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
};

// One rule as parsed, with where each of its parts was written.
struct RuleSource {
  Rule rule;  // patterns and unless already list-expanded and literal-escaped
  SourceMark id_mark, stage_mark;
  std::vector<SourceMark> pattern_marks, unless_marks, match_marks, no_match_marks;
  bool has_grade_offset = false;
};

struct PackSource {
  std::string name, language, file;
  std::vector<RuleSource> rules;
};

// Parses one rule pack. Rules with errors are left out of the result.
PackSource parse_pack(const std::string& file, const std::string& text, Errors& errors);

// Parses stages.yaml's `stages:` list (`scorer:` and `levels:` are the scorer's, read by
// ScorerConfig from the same document).
std::vector<Stage> parse_stages(const std::string& file, const std::string& text, Errors& errors);
std::vector<Stage> parse_stages(const std::string& file, const YAML::Node& document, Errors& errors);

}  // namespace vigil
