// The config file of the C ABI (its keys are documented in vigil.h): YAML read into
// EngineOptions and the reader's MessageLimits. Plain data; the function is pure apart
// from reading the file.
#pragma once

#include "plugin/common/error.h"
#include "plugin/engine/engine.h"
#include "plugin/engine/message_json.h"

namespace vigil::c_abi {

struct EngineConfig {
  EngineOptions engine;  // rules_dir, data_dir, ... with relative paths resolved
  MessageLimits limits;  // max_text_bytes also goes to engine.max_text_bytes
};

// Reads `path` (nullptr: every default, paths relative to the current directory). Every
// problem found is returned, each with file:line:column and its key in Error::field:
//   config.not_found    the file cannot be read
//   config.bad_yaml     not YAML
//   config.bad_type     not a map, or a key whose value is not a single value
//   config.unknown_key  a key vigil.h does not list
//   config.bad_value    a number out of range or not a number
Status<Errors> load_engine_config(const char* path, EngineConfig& out);

}  // namespace vigil::c_abi
