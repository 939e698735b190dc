// Helpers shared by the subcommands: where rules come from, and how errors print.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "plugin/common/error.h"
#include "plugin/common/json_text.h"  // every command writes its JSON with dump_json

namespace vigil::cli {

// The default rules folder: $VIGIL_RULES, else ./rules.
std::string default_rules_dir();

// Adds `--rules DIR` bound to `dir`, defaulting to default_rules_dir().
CLI::Option* add_rules_option(CLI::App& app, std::string& dir);

// Adds `--cache DIR` bound to `dir`, defaulting to $VIGIL_CACHE_DIR (no cache when unset):
// where compiled rule databases are kept while the rules do not change.
CLI::Option* add_cache_option(CLI::App& app, std::string& dir);

// Prints errors to stderr, as text or (json) as {"errors": [...]} on stdout.
void print_errors(const Errors& errors, bool json);

}  // namespace vigil::cli
