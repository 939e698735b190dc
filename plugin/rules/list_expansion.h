// Pattern text helpers of the rule loader: regex-escaping `literal` patterns and
// expanding `{{list}}` references into non-capturing alternations. Pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

// A pack's `lists:` section: name -> items, as written.
using ListMap = std::map<std::string, std::vector<std::string>, std::less<>>;

// `literal` with every regex metacharacter escaped; safe for both RE2 and Hyperscan.
std::string escape_regex(std::string_view literal);

// Replaces each `{{name}}` (spaces inside the braces allowed) in `regex` with
// `(?:item|item|...)`: items regex-escaped, longest first so the span RE2 reports is
// the longest item. Returns false and sets `unknown` to the first name not in `lists`.
bool expand_lists(std::string_view regex, const ListMap& lists, std::string& out, std::string& unknown);

}  // namespace vigil
