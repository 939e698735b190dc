#include "cli/cli_common.h"

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

namespace vigil::cli {

std::string default_rules_dir() {
  const char* env = std::getenv("VIGIL_RULES");
  return env && *env ? env : "rules";
}

CLI::Option* add_rules_option(CLI::App& app, std::string& dir) {
  dir = default_rules_dir();
  return app.add_option("--rules", dir, "Rule pack folder (default: $VIGIL_RULES, else ./rules)");
}

CLI::Option* add_cache_option(CLI::App& app, std::string& dir) {
  if (const char* env = std::getenv("VIGIL_CACHE_DIR")) dir = env;
  return app.add_option("--cache", dir,
                        "Folder for compiled rule databases, reused while the rules do not change "
                        "(default: $VIGIL_CACHE_DIR; none when unset)");
}

void print_errors(const Errors& errors, bool json) {
  if (json) {
    std::cout << dump_json(nlohmann::json{{"errors", to_json(errors)}}, 2) << "\n";
    return;
  }
  std::cerr << to_text(errors);
}

}  // namespace vigil::cli
