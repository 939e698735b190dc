// Pattern text helpers: literal escaping, {{list}} expansion, RE2 -> Hyperscan syntax.
#include <catch2/catch.hpp>

#include <re2/re2.h>

#include "plugin/rules/hs_database.h"
#include "plugin/rules/list_expansion.h"

using vigil::escape_regex;
using vigil::expand_lists;
using vigil::ListMap;
using vigil::to_hyperscan_syntax;

TEST_CASE("literal patterns are regex-escaped and match only themselves") {
  const std::string escaped = escape_regex("call me (now)? 1+1=2 $5 a.b [x] {y} a|b ^\\");
  CHECK(escaped == "call me \\(now\\)\\? 1\\+1=2 \\$5 a\\.b \\[x\\] \\{y\\} a\\|b \\^\\\\");
  re2::RE2 re(escaped);
  REQUIRE(re.ok());
  CHECK(re2::RE2::FullMatch("call me (now)? 1+1=2 $5 a.b [x] {y} a|b ^\\", re));
  CHECK_FALSE(re2::RE2::PartialMatch("call me now 11=2", re));
  CHECK(escape_regex("加我微信") == "加我微信");
  CHECK(vigil::hs_expression_problem(escape_regex("our secret (ok?)")).empty());
}

TEST_CASE("{{list}} expands to a non-capturing alternation, longest item first") {
  const ListMap lists = {{"apps", {"snap", "snapchat", "c++"}}, {"carers", {"mom"}}};
  std::string out;
  std::string unknown;
  REQUIRE(expand_lists("add me on {{apps}} or {{ carers }}", lists, out, unknown));
  CHECK(out == "add me on (?:snapchat|snap|c\\+\\+) or (?:mom)");
  re2::RE2 re(out);
  REQUIRE(re.ok());
  CHECK(re.NumberOfCapturingGroups() == 0);
  re2::StringPiece match;
  REQUIRE(re.Match("add me on snapchat or mom", 0, 25, re2::RE2::UNANCHORED, &match, 1));
  CHECK(match.size() == 25);

  CHECK_FALSE(expand_lists("add me on {{friends}}", lists, out, unknown));
  CHECK(unknown == "friends");

  // Braces that are not a list reference stay for the regex engines to judge.
  REQUIRE(expand_lists("a{2} {{not a list}} {{", lists, out, unknown));
  CHECK(out == "a{2} {{not a list}} {{");
}

TEST_CASE("named groups become non-capturing groups for Hyperscan") {
  CHECK(to_hyperscan_syntax("im (?P<age>\\d+)") == "im (?:\\d+)");
  CHECK(to_hyperscan_syntax("初(?P<grade>[一二三])") == "初(?:[一二三])");
  CHECK(to_hyperscan_syntax("\\(?P<x>") == "\\(?P<x>");       // an escaped paren is a literal
  CHECK(to_hyperscan_syntax("[(?P<]x>") == "[(?P<]x>");       // inside a class too
  CHECK(to_hyperscan_syntax("[]a](?P<n>b)") == "[]a](?:b)");  // ']' first in a class is literal
  CHECK(vigil::hs_expression_problem(to_hyperscan_syntax("\\bim\\s+(?P<age>\\d{1,2})\\b")).empty());
}
