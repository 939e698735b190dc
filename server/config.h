// ServerConfig: everything `vigil serve` is told, from three layers, later wins:
//   1. a YAML file (--config FILE), 2. VIGIL_* environment variables, 3. command flags.
// YAML keys (unknown keys are errors naming file:line):
//   listen: "127.0.0.1:8080"     HOST:PORT; port 0 picks a free port
//   rules: rules                 rule pack folder
//   data_dir: vigil-data         scorer state; "" keeps state in memory only
//   threads: 0                   io threads; 0 = one per core
//   tokens: [{token, name, scopes: [ingest|moderate|admin]}]
//   limits: {max_body_bytes, max_body_bytes_in_flight, max_text_bytes, max_id_bytes,
//   max_recipients, max_batch,
//            max_ws_frame_bytes, max_connections, queue_depth, header_timeout,
//            idle_timeout, write_timeout, drain_timeout}   (see limits.h; sizes take KiB/MiB
//            suffixes, durations ms/s/m suffixes, bare numbers are bytes / milliseconds)
//   log: {level: trace|debug|info|warn|error|off, format: json|text, file: PATH}
//   cases: {dismissal_reasons, retention_days, participant_id_key}   (server/cases/case_config.h)
//   webhooks: {endpoints: [{url, secret}], initial_backoff, max_backoff, max_attempts, timeout}
//   state: {flush_interval, max_unflushed, context_max_bytes, max_bytes, max_conversations,
//           idle_ttl, context_messages}
// Environment: VIGIL_LISTEN, VIGIL_RULES, VIGIL_DATA_DIR, VIGIL_THREADS,
//   VIGIL_LOG_LEVEL, VIGIL_LOG_FORMAT, VIGIL_LOG_FILE, VIGIL_LIMITS_<KEY> (upper case,
//   e.g. VIGIL_LIMITS_MAX_BATCH), VIGIL_STATE_<KEY> (e.g. VIGIL_STATE_FLUSH_INTERVAL),
//   VIGIL_CASES_PARTICIPANT_ID_KEY, VIGIL_TOKENS ("name:scope+scope:token,..."; tokens
//   from the environment replace the file's). Any other VIGIL_* name is an error
//   (config.unknown_env, naming the closest known one), except the few the other commands
//   and tools read (known_env_names()).
// With no token at all the server serves only on loopback: validate() refuses any other
// listen address.
//
// Plain data; copyable, movable. The functions are pure (the environment is passed in).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "plugin/common/error.h"
#include "server/auth.h"
#include "server/cases/case_config.h"
#include "server/limits.h"

namespace vigil::server {

// A bearer token's secret is at least this long (e.g. `openssl rand -hex 16`: 32 bytes).
inline constexpr size_t kMinTokenBytes = 16;

struct LogConfig {
  std::string level = "info";
  bool json = true;  // format: json (one object a line) or text
  std::string file;  // empty: stderr
};

// How the scorer's state is kept (EngineOptions; plugin/engine/engine.h has the contract).
struct StateConfig {
  // A crash loses no change acknowledged more than 2 x this before it (engine.h).
  std::chrono::milliseconds flush_interval{1000};
  // Conversations changed and not yet committed, at most; past it scoring waits (and
  // sooner when the writer commits fewer in half an interval).
  size_t max_unflushed = 20'000;
  // Bytes of text held by every conversation's context ring together.
  size_t context_max_bytes = 256u << 20;
  // Cap on data_dir/vigil.db's size; past it flushes fail as on a full disk. 0: none.
  size_t max_bytes = 0;
  // Conversations held in memory; past it the least recently used one is dropped.
  size_t max_conversations = 1'000'000;
  // A conversation not seen for this long is dropped from memory (and from the store);
  // at least 1 s.
  std::chrono::milliseconds idle_ttl{std::chrono::hours(30 * 24)};
  // The last N messages (text included) each conversation keeps in memory, for the
  // context a case opens with; 0 keeps none. At most 10000.
  size_t context_messages = 50;
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::filesystem::path rules_dir = "rules";
  std::filesystem::path data_dir = "vigil-data";
  unsigned threads = 0;
  std::vector<Token> tokens;
  Limits limits;
  LogConfig log;
  cases::CasesConfig cases;
  StateConfig state;

  // The io threads to run: `threads`, or one per core when 0.
  unsigned effective_threads() const;
  // "127.0.0.1:8080" (IPv6 hosts in brackets).
  std::string listen_string() const;
};

// Parses "HOST:PORT" ("[::1]:8080" for IPv6) into config.host/port.
Status<> parse_listen(std::string_view text, ServerConfig& config);

// Reads a YAML config on top of `config`. Every problem found is returned (file:line).
Status<Errors> load_config_file(const std::filesystem::path& file, ServerConfig& config);
// The same from text; `name` is what errors call the file.
Status<Errors> load_config_yaml(std::string_view yaml, const std::string& name, ServerConfig& config);

// Applies VIGIL_* variables; `getenv` returns nullptr for an unset name.
using EnvLookup = std::function<const char*(const char*)>;
Status<Errors> apply_env(const EnvLookup& getenv, ServerConfig& config);

// Every VIGIL_* variable a part of Vigil reads: apply_env's, and those of the other
// commands, scripts and tests (e.g. VIGIL_CACHE_DIR), which serve ignores.
const std::vector<std::string>& known_env_names();
// config.unknown_env for each VIGIL_* name in `names` (NAME or NAME=value) that
// known_env_names() lacks, naming the closest known one: a misspelt variable is an error,
// never silently ignored.
Status<Errors> check_env_names(const std::vector<std::string>& names);
// The process's environment: check_env_names over environ, then apply_env with getenv.
Status<Errors> apply_process_env(ServerConfig& config);

// Cross-field checks: a listen address that parses, no token without scope or shorter
// than kMinTokenBytes, no two tokens alike, and loopback only when no token is configured.
Status<Errors> validate(const ServerConfig& config);

// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(std::string_view host);

}  // namespace vigil::server
