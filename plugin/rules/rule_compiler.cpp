#include "plugin/rules/rule_compiler.h"

#include <algorithm>

#include "plugin/rules/db_cache.h"

namespace vigil {

namespace {

// Bounds the compile-report-retry loop of compile_hyperscan on a badly broken pack.
constexpr int kMaxHsCompiles = 50;

Error pattern_error(const RuleSource& src, const SourceMark& m, std::string message) {
  return Error("rules.bad_regex", std::move(message)).at(src.rule.file, m.line, m.column).for_rule(src.rule.id);
}

std::unique_ptr<re2::RE2> compile_one(const std::string& pattern, const RuleLoadOptions& options, const RuleSource& src,
                                      const SourceMark& m, Errors& errors) {
  re2::RE2::Options o;
  o.set_case_sensitive(false);
  o.set_encoding(re2::RE2::Options::EncodingUTF8);
  o.set_max_mem(options.re2_max_mem);
  o.set_log_errors(false);
  auto re = std::make_unique<re2::RE2>(pattern, o);
  if (!re->ok()) {
    errors.push_back(pattern_error(src, m, "RE2 rejects the regex '" + pattern + "': " + re->error()));
    return nullptr;
  }
  return re;
}

int group_index(const re2::RE2& re, const char* name) {
  const auto& groups = re.NamedCapturingGroups();
  auto it = groups.find(name);
  return it == groups.end() ? -1 : it->second;
}

// age_signal rules must say where the age is: every pattern has an `age` or a `grade`
// group, and a `grade` group needs the rule's grade_offset.
void check_age_groups(const RuleSource& src, const CompiledRule& cr, Errors& errors) {
  bool needs_offset = false;
  for (size_t p = 0; p < cr.patterns.size(); ++p) {
    const CompiledPattern& cp = cr.patterns[p];
    needs_offset = needs_offset || cp.grade_group > 0;
    if (cp.age_group > 0 || cp.grade_group > 0) continue;
    const SourceMark& m = src.pattern_marks[p];
    errors.push_back(Error("rules.no_age_group",
                           "an age_signal pattern needs a named group (?P<age>...) or (?P<grade>...) holding the age")
                         .at(src.rule.file, m.line, m.column)
                         .for_rule(src.rule.id));
  }
  if (needs_offset && !src.has_grade_offset) {
    errors.push_back(Error("rules.missing_key",
                           "a rule with a (?P<grade>...) group needs 'grade_offset' (age = grade + grade_offset)")
                         .at(src.rule.file, src.rule.line)
                         .for_rule(src.rule.id));
  }
}

}  // namespace

void compile_re2(RuleSetImpl& impl, const std::vector<RuleSource>& sources, const RuleLoadOptions& options,
                 Errors& errors) {
  impl.compiled.clear();
  impl.compiled.resize(sources.size());
  for (size_t r = 0; r < sources.size(); ++r) {
    const RuleSource& src = sources[r];
    CompiledRule& cr = impl.compiled[r];
    const size_t before = errors.size();
    for (size_t p = 0; p < src.rule.patterns.size(); ++p) {
      const std::string& pattern = src.rule.patterns[p];
      auto re = compile_one(pattern, options, src, src.pattern_marks[p], errors);
      if (!re) continue;
      // Active patterns are checked by compile_hyperscan's one compile. Deprecated ones
      // never reach Hyperscan, but a pack must stay loadable when one is switched back
      // on, so they are checked one by one here.
      if (src.rule.status == RuleStatus::kDeprecated) {
        if (std::string why = hs_expression_problem(to_hyperscan_syntax(pattern)); !why.empty()) {
          errors.push_back(
              pattern_error(src, src.pattern_marks[p], "Hyperscan rejects the regex '" + pattern + "': " + why));
          continue;
        }
      }
      impl.max_submatches = std::max(impl.max_submatches, static_cast<size_t>(re->NumberOfCapturingGroups()) + 1);
      CompiledPattern cp;
      cp.source = static_cast<uint32_t>(p);
      cp.age_group = group_index(*re, "age");
      cp.grade_group = group_index(*re, "grade");
      cp.re = std::move(re);
      cr.patterns.push_back(std::move(cp));
    }
    for (size_t u = 0; u < src.rule.unless.size(); ++u) {
      if (auto re = compile_one(src.rule.unless[u], options, src, src.unless_marks[u], errors)) {
        cr.unless.push_back(std::move(re));
      }
    }
    if (errors.size() == before && src.rule.is_age_signal()) check_age_groups(src, cr, errors);
  }
}

void compile_hyperscan(RuleSetImpl& impl, const std::vector<RuleSource>& sources, const RuleLoadOptions& options,
                       Errors& errors) {
  std::vector<HsExpression> expressions;
  std::vector<std::pair<uint32_t, uint32_t>> origin;  // expression -> (rule, pattern), for errors
  impl.first_id.assign(impl.rules.size(), 0);
  for (uint32_t r : impl.active) {
    impl.first_id[r] = static_cast<uint32_t>(expressions.size());
    for (const CompiledPattern& cp : impl.compiled[r].patterns) {
      const auto id = static_cast<unsigned>(expressions.size());
      expressions.push_back({to_hyperscan_syntax(impl.rules[r].patterns[cp.source]), id});
      impl.id_rule.push_back(r);
      origin.emplace_back(r, cp.source);
    }
  }
  const bool clean = errors.empty();
  const std::string key = hs_cache_key(expressions);
  if (clean && !expressions.empty()) impl.db = hs_cache_load(options.cache_dir, key);
  impl.db_from_cache = impl.db != nullptr;
  // One compile checks every pattern; each one Hyperscan refuses is reported and left
  // out, and the rest compiled again, so one load lists them all.
  for (int attempt = 0; !impl.db && !expressions.empty() && attempt < kMaxHsCompiles; ++attempt) {
    HsCompileResult built = hs_compile_all(expressions);
    if (built.db) {
      impl.db = std::move(built.db);
      break;
    }
    if (built.expression < 0 || static_cast<size_t>(built.expression) >= expressions.size()) {
      errors.push_back(Error("rules.compile_failed", "Hyperscan could not build the rule database: " + built.error));
      return;
    }
    const size_t i = static_cast<size_t>(built.expression);
    const auto [r, p] = origin[i];
    std::string why = hs_expression_problem(expressions[i].expression);
    errors.push_back(pattern_error(
        sources[r], sources[r].pattern_marks[p],
        "Hyperscan rejects the regex '" + impl.rules[r].patterns[p] + "': " + (why.empty() ? built.error : why)));
    expressions.erase(expressions.begin() + static_cast<long>(i));
    origin.erase(origin.begin() + static_cast<long>(i));
  }
  if (!errors.empty() || !impl.db) {
    impl.db.reset();
    return;
  }
  if (!impl.db_from_cache) {
    if (Status<> st = hs_cache_store(options.cache_dir, key, impl.db.get()); !st) impl.cache_write_error = st.error();
  }
  hs_scratch_t* scratch = nullptr;
  if (hs_alloc_scratch(impl.db.get(), &scratch) != HS_SUCCESS) {
    errors.push_back(Error("rules.compile_failed", "Hyperscan could not allocate scratch space for the database"));
    impl.db.reset();
    return;
  }
  impl.scratch_prototype.reset(scratch);
}

}  // namespace vigil
