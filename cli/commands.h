// The subcommands of the `vigil` executable. Each register_* function adds its
// subcommand(s) to the CLI11 app and the callback that runs them; a callback ends the
// program with the command's exit code by throwing CLI::RuntimeError(code).
#pragma once

#include <CLI/CLI.hpp>

namespace vigil::cli {

void register_rules_lint_test(CLI::App& rules);  // vigil rules lint|test
void register_rules_stats(CLI::App& rules);      // vigil rules stats
void register_rules_new(CLI::App& rules);        // vigil rules new
void register_explain(CLI::App& app);            // vigil explain
void register_replay(CLI::App& app);             // vigil replay
void register_eval(CLI::App& app);               // vigil eval
void register_serve(CLI::App& app);              // vigil serve
void register_cases(CLI::App& app);              // vigil export verify, vigil purge

}  // namespace vigil::cli
