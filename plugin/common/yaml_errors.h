// YamlErrors: the one way a YAML file's problems become Errors, shared by every YAML
// reader (rule packs and stages.yaml, the scorer's sections of stages.yaml, the server
// config, the cases config, the C API's engine config). Each problem is a coded Error
// naming the file and the 1-based line and column of the node it concerns (0 when the
// node has no position, e.g. a missing key's absent value).
//
// parse() reads the text once and reports, besides what yaml-cpp refuses:
//   - a syntax error at the line where the problem is: an unclosed `[` or `{` is
//     reported where it opened, not at the end of the file where yaml-cpp notices it;
//   - a key written twice in one mapping (<domain>.duplicate_key), which YAML readers
//     otherwise resolve silently by keeping one of the two.
// Not thread-safe (appends to the caller's Errors); one per file being read.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>

#include "plugin/common/error.h"

namespace vigil {

class YamlErrors {
 public:
  // `domain` prefixes the codes this class makes itself: <domain>.duplicate_key, and
  // `syntax_code` (e.g. "rules.yaml_syntax") for text that is not YAML.
  YamlErrors(std::string file, Errors& errors, std::string domain, std::string syntax_code);

  // The document of `text`, or nullopt after reporting why it is not YAML. Duplicate
  // keys are reported but the document is still returned.
  std::optional<YAML::Node> parse(std::string_view text);

  // Appends an error at `node`'s position (field: the setting's dotted name, if any).
  void add(const YAML::Node& node, std::string code, std::string message, std::string field = "");
  // Appends an error at a 1-based line and column (0: unknown).
  void add_at(int line, int column, std::string code, std::string message, std::string field = "");
  // An error at `node`'s position, for the caller to decorate (e.g. for_rule) and append.
  Error at(const YAML::Node& node, std::string code, std::string message) const;

  const std::string& file() const { return file_; }
  size_t count() const { return errors_.size(); }
  Errors& errors() { return errors_; }

 private:
  std::string file_;
  Errors& errors_;
  std::string domain_, syntax_code_;
};

// The 1-based line and column of `node`, {0, 0} when it has none.
std::pair<int, int> yaml_position(const YAML::Node& node);

}  // namespace vigil
