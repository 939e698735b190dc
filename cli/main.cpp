// vigil: the command line of the grooming-detection sidecar. Each subcommand lives in
// its own file (see commands.h).
#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"Vigil: detects online grooming in chat, as a sidecar for chat platforms"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "vigil 0.1.0");

  CLI::App* rules = app.add_subcommand("rules", "Lint, test, measure and scaffold rule packs");
  rules->require_subcommand(1);
  vigil::cli::register_rules_lint_test(*rules);
  vigil::cli::register_rules_stats(*rules);
  vigil::cli::register_rules_new(*rules);
  vigil::cli::register_explain(app);
  vigil::cli::register_replay(app);
  vigil::cli::register_eval(app);
  vigil::cli::register_serve(app);
  vigil::cli::register_cases(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
