// Helpers shared by the subcommands: where rules come from, and how errors print.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>

#include "plugin/common/error.h"
#include "plugin/common/json_text.h"  // every command writes its JSON with dump_json
#include "plugin/rules/rule_set.h"

namespace vigil::cli {

// The exit codes of every command.
inline constexpr int kExitOk = 0;       // success: clean, passed, served
inline constexpr int kExitFailure = 1;  // failure or findings: bad rules, failed examples, skipped lines, errors
inline constexpr int kExitUsage = 2;    // usage error: unknown option, missing or malformed argument
inline constexpr const char* kExitCodesHelp =
    "Exit codes: 0 success, 1 failure or findings (problems found, a run that could not finish cleanly), "
    "2 usage error (bad command line).";

// The default rules folder: $VIGIL_RULES, else ./rules.
std::string default_rules_dir();

// Adds `--rules DIR` bound to `dir`, defaulting to default_rules_dir().
CLI::Option* add_rules_option(CLI::App& app, std::string& dir);

// Where a command keeps compiled rule databases, reused while the rules do not change
// (a start in a fraction of a second instead of seconds of compiling). On by default.
struct CacheArgs {
  std::string dir;   // --cache DIR
  bool off = false;  // --no-cache
};

// Adds `--cache DIR` and `--no-cache` bound to `cache`.
void add_cache_options(CLI::App& app, CacheArgs& cache);

// The cache folder to use, empty for none: --no-cache: none; else --cache DIR, else
// $VIGIL_CACHE_DIR, else $XDG_CACHE_HOME/vigil, else $HOME/.cache/vigil (none without a
// HOME).
std::filesystem::path rules_cache_dir(const CacheArgs& cache);

// Loads the rules folder `dir` for a command: examples not run (`rules test` runs them
// itself), compiled databases cached as `cache` says, a cache that cannot be written a
// warning (warn_cache_write).
Result<std::shared_ptr<const RuleSet>, Errors> load_rules(const std::string& dir, const CacheArgs& cache);

// Prints a warning on stderr when `rules` could not be written to the cache: the cache
// only saves time, so it never fails a command.
void warn_cache_write(const RuleSet& rules);

// Prints errors to stderr, as text or (json) as {"errors": [...]} on stdout.
void print_errors(const Errors& errors, bool json);

}  // namespace vigil::cli
