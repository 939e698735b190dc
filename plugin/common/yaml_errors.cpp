#include "plugin/common/yaml_errors.h"

#include <map>
#include <set>
#include <utility>
#include <vector>

namespace vigil {

namespace {

struct Pos {
  int line = 0, column = 0;  // 1-based
};

// Where the innermost `[` or `{` still open at the end of `text` was written, or nullopt.
// yaml-cpp notices an unclosed flow collection only where the text ends, which can be far
// below the line to fix. A light scan: quoted scalars and comments are skipped, and a
// bracket counts only where a flow collection can start (after `: `, `- `, `[`, `{`, `,`,
// `?` or at the start of a line), so `a[b` inside a plain scalar is not one.
std::optional<Pos> unclosed_flow(std::string_view text) {
  std::vector<Pos> open;
  int line = 1, column = 0;
  char prev = '\n';  // last character that was not a blank, on this line ('\n': none yet)
  char quote = 0;
  bool comment = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    ++column;
    if (c == '\n') {
      ++line, column = 0, prev = '\n', comment = false;
      continue;
    }
    if (comment) continue;
    if (quote) {
      const bool doubled_single = quote == '\'' && c == '\'' && i + 1 < text.size() && text[i + 1] == '\'';
      if (doubled_single || (quote == '"' && c == '\\')) {
        ++i, ++column;  // '' inside single quotes, or a backslash escape inside double ones
      } else if (c == quote) {
        quote = 0, prev = c;
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') continue;
    const bool token_start =
        prev == '\n' || prev == ':' || prev == '-' || prev == '[' || prev == '{' || prev == ',' || prev == '?';
    if (c == '#' && (column == 1 || text[i - 1] == ' ' || text[i - 1] == '\t')) {
      comment = true;
    } else if ((c == '\'' || c == '"') && token_start) {
      quote = c;
    } else if ((c == '[' || c == '{') && (token_start || !open.empty())) {
      open.push_back({line, column});
    } else if ((c == ']' || c == '}') && !open.empty()) {
      open.pop_back();
    }
    prev = c;
  }
  if (open.empty()) return std::nullopt;
  return open.back();
}

int one_based(int zero_based) { return zero_based >= 0 ? zero_based + 1 : 0; }

}  // namespace

std::pair<int, int> yaml_position(const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  return {one_based(m.line), one_based(m.column)};
}

YamlErrors::YamlErrors(std::string file, Errors& errors, std::string domain, std::string syntax_code)
    : file_(std::move(file)), errors_(errors), domain_(std::move(domain)), syntax_code_(std::move(syntax_code)) {}

std::optional<YAML::Node> YamlErrors::parse(std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    Pos where{one_based(e.mark.line), one_based(e.mark.column)};
    std::string message = "YAML syntax error: " + e.msg;
    if (e.msg.find("flow not found") != std::string::npos) {
      if (auto opened = unclosed_flow(text)) {
        where = *opened;
        message += " (the bracket opened here is never closed)";
      }
    }
    add_at(where.line, where.column, syntax_code_, std::move(message));
    return std::nullopt;
  }
  // Duplicate keys, in every mapping. A node reached twice (a YAML alias) is checked
  // once, so an alias-heavy file costs its size, not its expansion.
  std::set<std::pair<int, int>> seen_nodes;
  std::vector<YAML::Node> todo{root};
  while (!todo.empty()) {
    YAML::Node node = todo.back();
    todo.pop_back();
    if (!node.IsMap() && !node.IsSequence()) continue;
    if (!seen_nodes.insert(yaml_position(node)).second) continue;
    if (node.IsSequence()) {
      for (const YAML::Node& item : node) todo.push_back(item);
      continue;
    }
    std::map<std::string, int, std::less<>> keys;  // key -> line it was first written on
    for (const auto& kv : node) {
      todo.push_back(kv.second);
      if (!kv.first.IsScalar()) continue;
      const std::string& key = kv.first.Scalar();
      const int line = yaml_position(kv.first).first;
      if (auto [it, fresh] = keys.emplace(key, line); !fresh) {
        add(kv.first, domain_ + ".duplicate_key",
            "the key '" + key + "' is written twice in one mapping (first on line " + std::to_string(it->second) +
                "); only one of them would be read");
      }
    }
  }
  return root;
}

void YamlErrors::add(const YAML::Node& node, std::string code, std::string message, std::string field) {
  const auto [line, column] = yaml_position(node);
  add_at(line, column, std::move(code), std::move(message), std::move(field));
}

void YamlErrors::add_at(int line, int column, std::string code, std::string message, std::string field) {
  errors_.push_back(Error(std::move(code), std::move(message)).at(file_, line, column).for_field(std::move(field)));
}

Error YamlErrors::at(const YAML::Node& node, std::string code, std::string message) const {
  const auto [line, column] = yaml_position(node);
  return Error(std::move(code), std::move(message)).at(file_, line, column);
}

}  // namespace vigil
