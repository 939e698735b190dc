#include "plugin/rules/example_runner.h"

#include <algorithm>

#include "plugin/rules/matcher.h"
#include "plugin/rules/re2_confirm.h"
#include "plugin/rules/rule_set_impl.h"

namespace vigil {

namespace {

// Whether rule `r` hits `text`, and where; through the Matcher unless deprecated. A scan
// that could not run is its error (rules.scan_failed), never a pass or a failure.
Result<bool> rule_hits(const RuleSetImpl& impl, uint32_t r, const NormalizedText& text, Matcher& matcher, HitList& hits,
                       std::vector<re2::StringPiece>& sub, Hit& found) {
  if (impl.rules[r].status == RuleStatus::kDeprecated) return confirm_rule(impl, r, text, sub.data(), found);
  if (Status<> scanned = matcher.match(text, hits); !scanned) return scanned.error();
  auto it = std::find_if(hits.begin(), hits.end(), [r](const Hit& h) { return h.rule == r; });
  if (it == hits.end()) return false;
  found = *it;
  return true;
}

// The examples cannot be run at all (the scan failed): the report is that error alone.
ExampleReport fail_all(ExampleReport& report, const Error& error) {
  report.errors = {error};
  return std::move(report);
}

std::string in_quotes(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('\'');
  out.append(s);
  out.push_back('\'');
  return out;
}

}  // namespace

ExampleReport run_examples(const std::shared_ptr<const RuleSet>& rules, const Normalizer& normalizer) {
  const RuleSetImpl& impl = rules->impl();
  ExampleReport report;
  Matcher matcher(rules);
  HitList hits;
  NormalizedText text;
  auto scratch = make_normalize_scratch();
  std::vector<re2::StringPiece> sub(impl.max_submatches);
  for (uint32_t r = 0; r < impl.rules.size(); ++r) {
    const Rule& rule = impl.rules[r];
    const ExampleMarks& marks = impl.example_marks[r];
    RuleExampleResult result;
    result.rule = r;
    auto fail = [&](const SourceMark& m, std::string message) {
      report.errors.push_back(
          Error("rules.example_failed", std::move(message)).at(rule.file, m.line, m.column).for_rule(rule.id));
    };
    for (size_t i = 0; i < rule.examples_match.size(); ++i) {
      const std::string& example = rule.examples_match[i];
      normalizer.normalize(example, text, *scratch);
      Hit hit;
      const Result<bool> hits_rule = rule_hits(impl, r, text, matcher, hits, sub, hit);
      if (!hits_rule) return fail_all(report, hits_rule.error());
      if (*hits_rule) {
        ++result.match_passed;
      } else {
        ++result.match_failed;
        fail(marks.match[i], "the match example " + in_quotes(example) +
                                 " does not hit this rule (normalised: " + in_quotes(text.text) + ")");
      }
    }
    for (size_t i = 0; i < rule.examples_no_match.size(); ++i) {
      const std::string& example = rule.examples_no_match[i];
      normalizer.normalize(example, text, *scratch);
      Hit hit;
      const Result<bool> hits_rule = rule_hits(impl, r, text, matcher, hits, sub, hit);
      if (!hits_rule) return fail_all(report, hits_rule.error());
      if (!*hits_rule) {
        ++result.no_match_passed;
      } else {
        ++result.no_match_failed;
        fail(marks.no_match[i],
             "the no_match example " + in_quotes(example) + " hits this rule on " +
                 in_quotes(std::string_view(text.text).substr(hit.norm_start, hit.norm_end - hit.norm_start)) +
                 " (normalised: " + in_quotes(text.text) + ")");
      }
    }
    report.rules.push_back(result);
  }
  return report;
}

}  // namespace vigil
