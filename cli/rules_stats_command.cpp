// Placeholder: registers nothing until this command lands.
#include "cli/commands.h"

namespace vigil::cli {

void register_rules_stats(CLI::App& /*unused*/) {}

}  // namespace vigil::cli
