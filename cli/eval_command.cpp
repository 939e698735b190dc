// Placeholder: registers nothing until this command lands.
#include "cli/commands.h"

namespace vigil::cli {

void register_eval(CLI::App& /*unused*/) {}

}  // namespace vigil::cli
