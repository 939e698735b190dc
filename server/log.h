// The sidecar's log: spdlog, one JSON object a line (or plain text with log.format: text)
//   {"ts":"2026-11-28T10:15:02.123Z","level":"info","event":"listening","url":"..."}
// Fields are ids, rule ids, counts and timings; message text is never logged.
// Thread-safe (spdlog's synchronous logger with its mutex). A process-wide logger: tests
// may call init_logging again to change it.
#pragma once

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <string_view>

#include "plugin/common/error.h"
#include "server/config.h"

namespace vigil::server {

// Sets up the "vigil" logger from the config (level, format, file or stderr).
Status<> init_logging(const LogConfig& config);

// Opens log.file again by its name (SIGUSR1, after logrotate renamed it): later lines go
// to a new file at that path. Nothing to do when logging to stderr. On failure the
// logger keeps writing where it did (log.open_failed).
Status<> reopen_log();

// The logger (a default one on stderr until init_logging is called).
spdlog::logger& logger();

// Logs `event` with `fields` (a JSON object; its members become top-level keys).
void log_event(spdlog::level::level_enum level, std::string_view event, const nlohmann::json& fields = {});

inline bool log_enabled(spdlog::level::level_enum level) { return logger().should_log(level); }

}  // namespace vigil::server
