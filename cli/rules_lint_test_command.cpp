// vigil rules lint [DIR] and vigil rules test [DIR]: what a policy team runs before a
// reload. lint parses, validates and compiles every pack; test also runs every rule's
// examples through the real normaliser and matcher and prints per-rule counts. Both exit
// 0 when clean, else list every problem (text on stderr, or JSON on stdout) and exit 1.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "plugin/normalize/normalizer.h"
#include "plugin/rules/example_runner.h"
#include "plugin/rules/rule_set.h"

namespace vigil::cli {

namespace {

struct RulesArgs {
  std::string rules_dir;   // --rules, or its default
  std::string positional;  // DIR, wins over --rules
  std::string cache_dir;   // --cache, or $VIGIL_CACHE_DIR
  bool json = false;
};

nlohmann::json packs_json(const RuleSet& rules) {
  nlohmann::json packs = nlohmann::json::array();
  for (const auto& p : rules.packs()) {
    packs.push_back({{"pack", p.name}, {"language", p.language}, {"file", p.file}, {"rules", p.rules}});
  }
  return packs;
}

int fail(const Errors& errors, bool json) {
  if (json) {
    std::cout << dump_json(nlohmann::json{{"ok", false}, {"errors", to_json(errors)}}, 2) << "\n";
  } else {
    std::cerr << to_text(errors) << errors.size() << (errors.size() == 1 ? " problem\n" : " problems\n");
  }
  return 1;
}

int print_test_report(const RuleSet& rules, const ExampleReport& report, bool json) {
  size_t failed_rules = 0;
  nlohmann::json per_rule = nlohmann::json::array();
  for (const RuleExampleResult& r : report.rules) {
    const bool ok = r.match_failed == 0 && r.no_match_failed == 0;
    failed_rules += ok ? 0 : 1;
    const Rule& rule = rules.rules()[r.rule];
    if (json) {
      per_rule.push_back({{"rule", rule.id},
                          {"ok", ok},
                          {"match_passed", r.match_passed},
                          {"match_failed", r.match_failed},
                          {"no_match_passed", r.no_match_passed},
                          {"no_match_failed", r.no_match_failed}});
      continue;
    }
    std::cout << (ok ? "PASS  " : "FAIL  ") << rule.id << "  match " << r.match_passed << "/"
              << r.match_passed + r.match_failed << "  no_match " << r.no_match_passed << "/"
              << r.no_match_passed + r.no_match_failed << "\n";
  }
  if (json) {
    std::cout << dump_json(nlohmann::json{{"ok", report.ok()},
                                          {"rules", per_rule},
                                          {"errors", to_json(report.errors)},
                                          {"rules_version", rules.version()}},
                           2)
              << "\n";
  } else {
    std::cerr << to_text(report.errors);
    std::cout << report.rules.size() << " rules: " << report.rules.size() - failed_rules << " passed, " << failed_rules
              << " failed (rules_version " << rules.version() << ")\n";
  }
  return report.ok() ? 0 : 1;
}

int run(const RulesArgs& args, bool run_tests) {
  const std::string dir = args.positional.empty() ? args.rules_dir : args.positional;
  RuleLoadOptions options;
  options.run_examples = false;  // `test` runs them below, to report per rule
  options.cache_dir = args.cache_dir;
  auto loaded = RuleSet::load(dir, options);
  if (!loaded.ok()) return fail(loaded.error(), args.json);
  const RuleSet& rules = **loaded;
  if (run_tests) {
    auto normalizer = Normalizer::create();
    if (!normalizer.ok()) return fail({normalizer.error()}, args.json);
    return print_test_report(rules, run_examples(*loaded, **normalizer), args.json);
  }
  if (args.json) {
    std::cout << dump_json(nlohmann::json{{"ok", true},
                                          {"rules", rules.rules().size()},
                                          {"packs", packs_json(rules)},
                                          {"rules_version", rules.version()}},
                           2)
              << "\n";
  } else {
    std::cout << "ok: " << rules.rules().size() << " rules in " << rules.packs().size() << " packs, rules_version "
              << rules.version() << "\n";
  }
  return 0;
}

void add_command(CLI::App& parent, const char* name, const char* help, bool run_tests) {
  auto args = std::make_shared<RulesArgs>();
  CLI::App* cmd = parent.add_subcommand(name, help);
  add_rules_option(*cmd, args->rules_dir);
  add_cache_option(*cmd, args->cache_dir);
  cmd->add_option("DIR", args->positional, "Rule pack folder (overrides --rules)");
  cmd->add_flag("--json", args->json, "Print the result as JSON on stdout");
  cmd->callback([args, run_tests] {
    if (const int code = run(*args, run_tests); code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace

void register_rules_lint_test(CLI::App& rules) {
  add_command(rules, "lint", "Parse, validate and compile the rule packs; list every problem", false);
  add_command(rules, "test", "Lint, then run every rule's examples and report per rule", true);
}

}  // namespace vigil::cli
