// The Hyperscan side of a RuleSet: turning rule regexes (RE2 syntax, written for
// normalised text) into one block-mode database, checking single expressions so errors
// can name the pattern, and (de)serialising databases for the on-disk cache.
// Owning handles free with the matching hs_free_* call. Thread-safe functions.
#pragma once

#include <hs/hs.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

struct HsDatabaseFree {
  void operator()(hs_database_t* db) const { hs_free_database(db); }
};
struct HsScratchFree {
  void operator()(hs_scratch_t* s) const { hs_free_scratch(s); }
};
using HsDatabasePtr = std::unique_ptr<hs_database_t, HsDatabaseFree>;
using HsScratchPtr = std::unique_ptr<hs_scratch_t, HsScratchFree>;

// Every pattern is compiled caseless, UTF-8 (not UCP: Hyperscan refuses \b with UCP),
// single-match (the matcher wants which rules hit, RE2 finds the span).
inline constexpr unsigned kHsPatternFlags = HS_FLAG_CASELESS | HS_FLAG_UTF8 | HS_FLAG_SINGLEMATCH;

// `pattern` with RE2's named groups `(?P<name>` turned into `(?:`, which Hyperscan
// does not support; escapes and character classes are respected.
std::string to_hyperscan_syntax(std::string_view pattern);

// Why Hyperscan refuses `expression` (already in Hyperscan syntax), or "" when it
// compiles; a pattern that can match the empty string is refused too.
std::string hs_expression_problem(const std::string& expression);

struct HsExpression {
  std::string expression;  // Hyperscan syntax
  unsigned id = 0;         // reported to the scan callback
};

struct HsCompileResult {
  HsDatabasePtr db;
  std::string error;    // set when db is null
  int expression = -1;  // index of the expression the error is about, or -1
};
HsCompileResult hs_compile_all(const std::vector<HsExpression>& expressions);

// The serialised bytes of `db`, or "" on failure.
std::string hs_serialize(const hs_database_t* db);
// A database from serialised bytes, or null when they are not a usable database.
HsDatabasePtr hs_deserialize(std::string_view bytes);

}  // namespace vigil
