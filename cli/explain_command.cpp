// vigil explain [--rules DIR] [--json] TEXT: how Vigil reads one message. Prints the
// normalised text, the transforms that fired, and every hit with its rule, stage,
// description, span in the ORIGINAL text (byte offsets) and named captures. Reads the
// text from stdin when none is given. Examples are not run here (`vigil rules test` does).
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "plugin/normalize/normalizer.h"
#include "plugin/rules/hit_captures.h"
#include "plugin/rules/matcher.h"
#include "plugin/rules/rule_set.h"

namespace vigil::cli {

namespace {

struct ExplainArgs {
  std::string rules_dir;
  std::vector<std::string> words;
  std::string cache_dir;  // --cache, or $VIGIL_CACHE_DIR
  bool json = false;
};

std::string read_input(const ExplainArgs& args) {
  if (args.words.empty()) {
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
  }
  std::string text;
  for (const std::string& w : args.words) text.append(text.empty() ? "" : " ").append(w);
  return text;
}

nlohmann::json explain_json(const RuleSet& rules, const NormalizedText& text, const HitList& hits) {
  nlohmann::json transforms = nlohmann::json::array();
  for (std::string_view t : transform_names(text.transforms)) transforms.push_back(std::string(t));
  nlohmann::json out_hits = nlohmann::json::array();
  for (const Hit& h : hits) {
    const Rule& rule = rules.rules()[h.rule];
    nlohmann::json captures = nlohmann::json::object();
    for (const Capture& c : hit_captures(rules, text, h)) captures[c.name] = c.text;
    out_hits.push_back(
        {{"rule", rule.id}, {"stage", rule.stage}, {"start", h.start}, {"end", h.end}, {"captures", captures}});
  }
  return {
      {"normalized", text.text}, {"transforms", transforms}, {"hits", out_hits}, {"rules_version", rules.version()}};
}

void explain_text(const RuleSet& rules, std::string_view original, const NormalizedText& text, const HitList& hits) {
  std::cout << "normalized:    " << text.text << "\n";
  std::cout << "transforms:    ";
  const auto names = transform_names(text.transforms);
  if (names.empty()) std::cout << "none";
  for (size_t i = 0; i < names.size(); ++i) std::cout << (i ? ", " : "") << names[i];
  std::cout << "\nhits:          " << (hits.empty() ? "none" : std::to_string(hits.size())) << "\n";
  for (const Hit& h : hits) {
    const Rule& rule = rules.rules()[h.rule];
    std::cout << "  " << rule.stage << "  " << rule.id << "  [" << h.start << ", " << h.end << ")  \""
              << original.substr(h.start, h.end - h.start) << "\""
              << (rule.status == RuleStatus::kShadow ? "  (shadow: reported, not scored)" : "") << "\n";
    std::cout << "      " << rule.description << "\n";
    const auto captures = hit_captures(rules, text, h);
    if (!captures.empty() || h.age >= 0) {
      std::cout << "      captures:";
      for (const Capture& c : captures) std::cout << " " << c.name << "=\"" << c.text << "\"";
      if (h.age >= 0) std::cout << "  (age " << h.age << ")";
      std::cout << "\n";
    }
  }
  std::cout << "rules_version: " << rules.version() << "\n";
}

int run(const ExplainArgs& args) {
  RuleLoadOptions options;
  options.run_examples = false;
  options.cache_dir = args.cache_dir;
  auto loaded = RuleSet::load(args.rules_dir, options);
  if (!loaded.ok()) {
    print_errors(loaded.error(), args.json);
    return 1;
  }
  auto normalizer = Normalizer::create();
  if (!normalizer.ok()) {
    print_errors({normalizer.error()}, args.json);
    return 1;
  }
  const std::string input = read_input(args);
  NormalizedText text;
  auto scratch = make_normalize_scratch();
  (*normalizer)->normalize(input, text, *scratch);
  HitList hits;
  Matcher(*loaded).match(text, hits);
  if (args.json) {
    // The normaliser repairs invalid UTF-8, so this only guards against surprises.
    std::cout << dump_json(explain_json(**loaded, text, hits), 2) << "\n";
  } else {
    explain_text(**loaded, input, text, hits);
  }
  return 0;
}

}  // namespace

void register_explain(CLI::App& app) {
  auto args = std::make_shared<ExplainArgs>();
  CLI::App* cmd = app.add_subcommand("explain", "Show how Vigil normalises and matches one message");
  add_rules_option(*cmd, args->rules_dir);
  add_cache_option(*cmd, args->cache_dir);
  cmd->add_flag("--json", args->json,
                "Print {normalized, transforms, hits: [{rule, stage, start, end, captures}], rules_version}");
  cmd->add_option("TEXT", args->words, "The message (read from stdin when absent)");
  cmd->callback([args] {
    if (const int code = run(*args); code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace vigil::cli
