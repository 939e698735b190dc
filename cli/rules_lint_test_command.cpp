// vigil rules lint [DIR], vigil rules test [DIR|FILE|RULE_ID] and vigil rules list [DIR]:
// what a policy team runs before a reload. lint parses, validates and compiles every pack
// and stages.yaml, exactly as serve loads them (RuleSet::load); test also runs the
// rules' examples through the real normaliser and matcher: every rule's, or one pack
// file's, or one rule's, printing the rules that fail (every rule with --verbose). list
// prints each rule's id, stage, status and description. Each exits 0 when clean, else
// lists every problem (text on stderr, or JSON on stdout) and exits 1.
#include <filesystem>
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

namespace fs = std::filesystem;

struct RulesArgs {
  std::string rules_dir;   // --rules, or its default
  std::string positional;  // DIR (wins over --rules); for test also FILE or RULE_ID
  CacheArgs cache;
  bool json = false;
  bool verbose = false;
};

// What `rules test` runs: the rules folder, and which of its rules to report.
struct TestTarget {
  std::string dir;
  fs::path file;        // only the rules of this pack file, when set
  std::string rule_id;  // only this rule, when set
};

// The folder holding stages.yaml at or above `file`, or "".
std::string rules_folder_of(const fs::path& file) {
  std::error_code ec;
  for (fs::path p = fs::absolute(file, ec).parent_path(); !p.empty(); p = p.parent_path()) {
    if (fs::is_regular_file(p / "stages.yaml", ec)) return p.string();
    if (p == p.root_path()) break;
  }
  return "";
}

// DIR, FILE or RULE_ID: an existing folder is the rules folder; an existing file is one
// pack (its folder: --rules when the file lies inside it, else the nearest folder above
// it with a stages.yaml); anything else is a rule id in the --rules folder.
TestTarget test_target(const RulesArgs& args) {
  TestTarget t{args.rules_dir, {}, {}};
  if (args.positional.empty()) return t;
  std::error_code ec;
  if (fs::is_directory(args.positional, ec)) {
    t.dir = args.positional;
  } else if (fs::is_regular_file(args.positional, ec)) {
    t.file = fs::weakly_canonical(args.positional, ec);
    const fs::path within = t.file.lexically_relative(fs::weakly_canonical(args.rules_dir, ec));
    if (within.empty() || *within.begin() == "..") t.dir = rules_folder_of(t.file);
  } else {
    t.rule_id = args.positional;
  }
  return t;
}

bool selected(const TestTarget& t, const Rule& rule) {
  if (!t.rule_id.empty()) return rule.id == t.rule_id;
  if (!t.file.empty()) {
    std::error_code ec;
    return fs::weakly_canonical(rule.file, ec) == t.file;
  }
  return true;
}

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
  return kExitFailure;
}

int print_test_report(const RuleSet& rules, const ExampleReport& report, const TestTarget& target,
                      const RulesArgs& args) {
  size_t tested = 0, failed_rules = 0;
  nlohmann::json per_rule = nlohmann::json::array();
  for (const RuleExampleResult& r : report.rules) {
    const Rule& rule = rules.rules()[r.rule];
    if (!selected(target, rule)) continue;
    ++tested;
    const bool ok = r.match_failed == 0 && r.no_match_failed == 0;
    failed_rules += ok ? 0 : 1;
    if (args.json) {
      per_rule.push_back({{"rule", rule.id},
                          {"ok", ok},
                          {"match_passed", r.match_passed},
                          {"match_failed", r.match_failed},
                          {"no_match_passed", r.no_match_passed},
                          {"no_match_failed", r.no_match_failed}});
      continue;
    }
    if (ok && !args.verbose) continue;
    std::cout << (ok ? "PASS  " : "FAIL  ") << rule.id << "  match " << r.match_passed << "/"
              << r.match_passed + r.match_failed << "  no_match " << r.no_match_passed << "/"
              << r.no_match_passed + r.no_match_failed << "\n";
  }
  Errors errors;
  for (const Error& e : report.errors) {
    const int index = rules.rule_index(e.rule_id);
    if (index < 0 || selected(target, rules.rules()[static_cast<size_t>(index)])) errors.push_back(e);
  }
  if (tested == 0) {
    errors.push_back(
        !target.rule_id.empty()
            ? Error("rules.unknown_rule",
                    "no rule has the id '" + target.rule_id + "' (and no file or folder has that name)")
                  .at(target.dir)
            : Error("rules.unknown_rule", "no rule of the rules folder is in this file").at(target.file.string()));
  }
  if (args.json) {
    std::cout << dump_json(nlohmann::json{{"ok", errors.empty()},
                                          {"rules", per_rule},
                                          {"errors", to_json(errors)},
                                          {"rules_version", rules.version()}},
                           2)
              << "\n";
  } else {
    std::cerr << to_text(errors);
    std::cout << tested << " rules: " << tested - failed_rules << " passed, " << failed_rules
              << " failed (rules_version " << rules.version() << ")\n";
  }
  return errors.empty() ? kExitOk : kExitFailure;
}

int run_test(const RulesArgs& args) {
  const TestTarget target = test_target(args);
  if (target.dir.empty()) {
    return fail({Error("rules.missing_stages", "no folder at or above the file holds a stages.yaml (set --rules)")
                     .at(target.file.string())},
                args.json);
  }
  auto loaded = load_rules(target.dir, args.cache);
  if (!loaded.ok()) return fail(loaded.error(), args.json);
  auto normalizer = Normalizer::create();
  if (!normalizer.ok()) return fail({normalizer.error()}, args.json);
  return print_test_report(**loaded, run_examples(*loaded, **normalizer), target, args);
}

int run_lint(const RulesArgs& args) {
  auto loaded = load_rules(args.positional.empty() ? args.rules_dir : args.positional, args.cache);
  if (!loaded.ok()) return fail(loaded.error(), args.json);
  const RuleSet& rules = **loaded;
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
  return kExitOk;
}

int run_list(const RulesArgs& args) {
  auto loaded = load_rules(args.positional.empty() ? args.rules_dir : args.positional, args.cache);
  if (!loaded.ok()) return fail(loaded.error(), args.json);
  const RuleSet& rules = **loaded;
  if (args.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const Rule& r : rules.rules()) {
      list.push_back({{"id", r.id},
                      {"stage", r.stage},
                      {"status", to_string(r.status)},
                      {"description", r.description},
                      {"file", r.file},
                      {"line", r.line}});
    }
    std::cout << dump_json(nlohmann::json{{"rules", list}, {"rules_version", rules.version()}}, 2) << "\n";
    return kExitOk;
  }
  size_t id_width = 2, stage_width = 5;
  for (const Rule& r : rules.rules()) {
    id_width = std::max(id_width, r.id.size());
    stage_width = std::max(stage_width, r.stage.size());
  }
  auto row = [&](std::string_view id, std::string_view stage, std::string_view status, std::string_view description) {
    std::cout << id << std::string(id_width - id.size() + 2, ' ') << stage
              << std::string(stage_width - stage.size() + 2, ' ') << status
              << std::string(10 - std::min<size_t>(status.size(), 8), ' ') << description << "\n";
  };
  row("id", "stage", "status", "description");
  for (const Rule& r : rules.rules()) row(r.id, r.stage, to_string(r.status), r.description);
  return kExitOk;
}

CLI::App* add_command(CLI::App& parent, const char* name, const char* help, const char* positional_help,
                      int (*run)(const RulesArgs&), const std::shared_ptr<RulesArgs>& args) {
  CLI::App* cmd = parent.add_subcommand(name, help);
  add_rules_option(*cmd, args->rules_dir);
  add_cache_options(*cmd, args->cache);
  cmd->add_option(name == std::string_view("test") ? "TARGET" : "DIR", args->positional, positional_help);
  cmd->add_flag("--json", args->json, "Print the result as JSON on stdout");
  cmd->callback([args, run] {
    if (const int code = run(*args); code != kExitOk) throw CLI::RuntimeError(code);
  });
  return cmd;
}

}  // namespace

void register_rules_lint_test(CLI::App& rules) {
  add_command(rules, "lint",
              "Parse, validate and compile the rule packs and stages.yaml, as serve does; list every problem",
              "Rule pack folder (overrides --rules)", run_lint, std::make_shared<RulesArgs>());
  auto test = std::make_shared<RulesArgs>();
  CLI::App* cmd =
      add_command(rules, "test", "Lint, then run the rules' examples; print the rules that fail",
                  "What to test: a rule pack folder (overrides --rules), one pack FILE, or one RULE_ID (default: "
                  "every rule of --rules)",
                  run_test, test);
  cmd->add_flag("--verbose,-v", test->verbose, "Also print the rules that pass");
  add_command(rules, "list", "List the rules: id, stage, status, description", "Rule pack folder (overrides --rules)",
              run_list, std::make_shared<RulesArgs>());
}

}  // namespace vigil::cli
