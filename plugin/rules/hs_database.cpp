#include "plugin/rules/hs_database.h"

#include <cstdlib>

namespace vigil {

std::string to_hyperscan_syntax(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size());
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      out.push_back(c);
      out.push_back(pattern[++i]);
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out.push_back(c);
      continue;
    }
    if (c == '[') {
      in_class = true;
      out.push_back(c);
      // A ']' first in a class (or after '^') is a literal.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out.push_back(pattern[++i]);
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out.push_back(pattern[++i]);
      continue;
    }
    if (pattern.substr(i, 4) == "(?P<") {
      const size_t close = pattern.find('>', i + 4);
      if (close != std::string_view::npos) {
        out += "(?:";
        i = close;
        continue;
      }
    }
    out.push_back(c);
  }
  return out;
}

std::string hs_expression_problem(const std::string& expression) {
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_expression_info(expression.c_str(), kHsPatternFlags, &info, &error) != HS_SUCCESS) {
    std::string message = error && error->message ? error->message : "rejected";
    hs_free_compile_error(error);
    return message;
  }
  const bool empty = info->min_width == 0;
  std::free(info);  // allocated with Hyperscan's misc allocator, malloc by default
  if (empty) return "it can match the empty string, so it would hit every message";
  return {};
}

HsCompileResult hs_compile_all(const std::vector<HsExpression>& expressions) {
  std::vector<const char*> exprs;
  std::vector<unsigned> flags(expressions.size(), kHsPatternFlags);
  std::vector<unsigned> ids;
  exprs.reserve(expressions.size());
  ids.reserve(expressions.size());
  for (const HsExpression& e : expressions) {
    exprs.push_back(e.expression.c_str());
    ids.push_back(e.id);
  }
  HsCompileResult result;
  hs_database_t* db = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK,
                       nullptr, &db, &error) != HS_SUCCESS) {
    result.error = error && error->message ? error->message : "Hyperscan could not compile the database";
    result.expression = error ? error->expression : -1;
    hs_free_compile_error(error);
    return result;
  }
  result.db.reset(db);
  return result;
}

std::string hs_serialize(const hs_database_t* db) {
  char* bytes = nullptr;
  size_t length = 0;
  if (hs_serialize_database(db, &bytes, &length) != HS_SUCCESS) return {};
  std::string out(bytes, length);
  std::free(bytes);
  return out;
}

HsDatabasePtr hs_deserialize(std::string_view bytes) {
  hs_database_t* db = nullptr;
  if (bytes.empty() || hs_deserialize_database(bytes.data(), bytes.size(), &db) != HS_SUCCESS) return nullptr;
  return HsDatabasePtr(db);
}

}  // namespace vigil
