#include "plugin/rules/list_expansion.h"

#include <algorithm>
#include <cstring>

namespace vigil {

std::string escape_regex(std::string_view literal) {
  std::string out;
  out.reserve(literal.size() * 2);
  for (char c : literal) {
    if (c != '\0' && std::strchr("\\^$.|?*+()[]{}", c) != nullptr) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

std::string alternation(const std::vector<std::string>& items) {
  std::vector<std::string> sorted = items;
  // Longest first: RE2 is leftmost-first, so "mommy" must come before "mom".
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  std::string out = "(?:";
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0) out.push_back('|');
    out += escape_regex(sorted[i]);
  }
  out.push_back(')');
  return out;
}

}  // namespace

bool expand_lists(std::string_view regex, const ListMap& lists, std::string& out, std::string& unknown) {
  out.clear();
  size_t i = 0;
  while (i < regex.size()) {
    const size_t open = regex.find("{{", i);
    if (open == std::string_view::npos) break;
    size_t p = open + 2;
    while (p < regex.size() && regex[p] == ' ') ++p;
    const size_t name_begin = p;
    while (p < regex.size() && is_name_char(regex[p])) ++p;
    const size_t name_end = p;
    while (p < regex.size() && regex[p] == ' ') ++p;
    if (name_end == name_begin || regex.substr(p, 2) != "}}") {
      // Not a list reference; keep the braces for the regex engines to judge.
      out.append(regex.substr(i, open + 2 - i));
      i = open + 2;
      continue;
    }
    const std::string_view name = regex.substr(name_begin, name_end - name_begin);
    auto it = lists.find(name);
    if (it == lists.end()) {
      unknown = std::string(name);
      return false;
    }
    out.append(regex.substr(i, open - i));
    out += alternation(it->second);
    i = p + 2;
  }
  out.append(regex.substr(i));
  return true;
}

}  // namespace vigil
