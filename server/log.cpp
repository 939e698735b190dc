#include "server/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <mutex>

#include "plugin/common/json_text.h"

namespace vigil::server {

namespace {

std::shared_ptr<spdlog::logger>& logger_ptr() {
  static std::shared_ptr<spdlog::logger> log = [] {
    auto l = std::make_shared<spdlog::logger>("vigil", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v)", spdlog::pattern_time_type::utc);
    return l;
  }();
  return log;
}

std::atomic<bool> g_json{true};

// The config of the last init_logging, for reopen_log.
std::mutex g_config_mu;
LogConfig g_config;

}  // namespace

Status<> init_logging(const LogConfig& config) {
  std::shared_ptr<spdlog::sinks::sink> sink;
  if (config.file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    try {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(config.file);
    } catch (const spdlog::spdlog_ex& e) {
      return Error("log.open_failed", std::string("cannot open the log file: ") + e.what()).at(config.file);
    }
  }
  auto l = std::make_shared<spdlog::logger>("vigil", sink);
  if (config.json) {
    l->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v)", spdlog::pattern_time_type::utc);
  } else {
    l->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  }
  l->set_level(spdlog::level::from_str(config.level));
  l->flush_on(spdlog::level::info);
  g_json.store(config.json);
  std::atomic_store(&logger_ptr(), l);
  std::lock_guard lock(g_config_mu);
  g_config = config;
  return {};
}

Status<> reopen_log() {
  LogConfig config;
  {
    std::lock_guard lock(g_config_mu);
    config = g_config;
  }
  if (config.file.empty()) return {};
  std::atomic_load(&logger_ptr())->flush();
  return init_logging(config);
}

spdlog::logger& logger() { return *std::atomic_load(&logger_ptr()); }

void log_event(spdlog::level::level_enum level, std::string_view event, const nlohmann::json& fields) {
  std::shared_ptr<spdlog::logger> l = std::atomic_load(&logger_ptr());
  if (!l->should_log(level)) return;
  const bool json = g_json.load(std::memory_order_relaxed);
  // JSON: the pattern opens the object; the event and fields close it. dump_json escapes
  // every string, so a field can never break the line's JSON.
  std::string line = json ? "\"event\":" + dump_json(nlohmann::json(event)) : std::string(event);
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      line += json ? ',' : ' ';
      line += json ? dump_json(nlohmann::json(it.key())) : it.key();
      line += json ? ':' : '=';
      line += dump_json(it.value());
    }
  }
  if (json) line += '}';
  l->log(level, line);
}

}  // namespace vigil::server
