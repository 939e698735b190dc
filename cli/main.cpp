// vigil: the command line of the grooming-detection sidecar. Each subcommand lives in
// its own file (see commands.h). Every command exits with the same codes (kExitCodes).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "cli/cli_common.h"
#include "cli/commands.h"

namespace {

// Every command's help ends with the exit codes, the same for all of them.
void add_exit_codes_footer(CLI::App& app) {
  app.footer(vigil::cli::kExitCodesHelp);
  for (CLI::App* sub : app.get_subcommands({})) add_exit_codes_footer(*sub);
}

int run(int argc, char** argv) {
  CLI::App app{"Vigil: detects online grooming in chat, as a sidecar for chat platforms"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "vigil 0.1.0");

  CLI::App* rules = app.add_subcommand("rules", "Lint, test, list, measure and scaffold rule packs");
  rules->require_subcommand(1);
  vigil::cli::register_rules_lint_test(*rules);
  vigil::cli::register_rules_stats(*rules);
  vigil::cli::register_rules_new(*rules);
  vigil::cli::register_explain(app);
  vigil::cli::register_replay(app);
  vigil::cli::register_eval(app);
  vigil::cli::register_serve(app);
  vigil::cli::register_cases(app);
  add_exit_codes_footer(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::RuntimeError& e) {
    // A command's own result (callbacks throw it with their exit code).
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints what was wrong with the command line
    return vigil::cli::kExitUsage;
  }
  return vigil::cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  // Commands report their own errors as data; anything that still escapes is a bug, said
  // once instead of std::terminate's abort.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vigil: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "vigil: internal error\n");
  }
  return vigil::cli::kExitFailure;
}
