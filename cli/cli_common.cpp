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
  return app.add_option("--rules", dir, "Rule pack folder (default: $VIGIL_RULES, else ./rules)")->type_name("DIR");
}

void add_cache_options(CLI::App& app, CacheArgs& cache) {
  app.add_option("--cache", cache.dir,
                 "Folder for compiled rule databases, reused while the rules do not change (default: "
                 "$VIGIL_CACHE_DIR, else $XDG_CACHE_HOME/vigil, else ~/.cache/vigil)")
      ->type_name("DIR");
  app.add_flag("--no-cache", cache.off, "Compile the rules without reading or writing the cache");
}

std::filesystem::path rules_cache_dir(const CacheArgs& cache) {
  if (cache.off) return {};
  if (!cache.dir.empty()) return cache.dir;
  auto env = [](const char* name) -> std::filesystem::path {
    const char* v = std::getenv(name);
    return v && *v ? std::filesystem::path(v) : std::filesystem::path();
  };
  if (auto dir = env("VIGIL_CACHE_DIR"); !dir.empty()) return dir;
  // XDG: a relative XDG_CACHE_HOME is invalid and ignored.
  if (auto xdg = env("XDG_CACHE_HOME"); xdg.is_absolute()) return xdg / "vigil";
  if (auto home = env("HOME"); !home.empty()) return home / ".cache" / "vigil";
  return {};
}

Result<std::shared_ptr<const RuleSet>, Errors> load_rules(const std::string& dir, const CacheArgs& cache) {
  RuleLoadOptions options;
  options.run_examples = false;
  options.cache_dir = rules_cache_dir(cache);
  auto loaded = RuleSet::load(dir, options);
  if (loaded) warn_cache_write(**loaded);
  return loaded;
}

void warn_cache_write(const RuleSet& rules) {
  if (const Error* e = rules.cache_write_error()) {
    std::cerr << "vigil: warning: the rules were compiled but not cached (next start compiles again; --no-cache "
                 "skips the cache): "
              << e->to_text() << "\n";
  }
}

void print_errors(const Errors& errors, bool json) {
  if (json) {
    std::cout << dump_json(nlohmann::json{{"errors", to_json(errors)}}, 2) << "\n";
    return;
  }
  std::cerr << to_text(errors);
}

}  // namespace vigil::cli
