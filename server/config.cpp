#include "server/config.h"

#include <yaml-cpp/yaml.h>

#include <unistd.h>
#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace vigil::server {

unsigned ServerConfig::effective_threads() const {
  if (threads > 0) return threads;
  unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? n : 1;
}

std::string ServerConfig::listen_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

namespace {

bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "4MiB", "64KiB", "512", "1G": bytes.
bool parse_size(std::string_view s, uint64_t& out) {
  s = trim(s);
  static constexpr std::pair<std::string_view, uint64_t> kSuffixes[] = {{"GiB", 1ull << 30},
                                                                        {"MiB", 1ull << 20},
                                                                        {"KiB", 1ull << 10},
                                                                        {"G", 1ull << 30},
                                                                        {"M", 1ull << 20},
                                                                        {"K", 1ull << 10},
                                                                        {"B", 1}};
  for (auto [suffix, mult] : kSuffixes) {
    if (s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix) {
      uint64_t n = 0;
      if (!parse_u64(trim(s.substr(0, s.size() - suffix.size())), n)) return false;
      out = n * mult;
      return true;
    }
  }
  return parse_u64(s, out);
}

// "500ms", "10s", "2m", "1h", "750": milliseconds.
bool parse_duration(std::string_view s, std::chrono::milliseconds& out) {
  s = trim(s);
  static constexpr std::pair<std::string_view, uint64_t> kSuffixes[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  for (auto [suffix, mult] : kSuffixes) {
    if (s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix) {
      uint64_t n = 0;
      if (!parse_u64(trim(s.substr(0, s.size() - suffix.size())), n)) return false;
      out = std::chrono::milliseconds(n * mult);
      return true;
    }
  }
  uint64_t n = 0;
  if (!parse_u64(s, n)) return false;
  out = std::chrono::milliseconds(n);
  return true;
}

bool parse_log_level(std::string_view s) {
  for (std::string_view l : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    if (s == l) return true;
  }
  return false;
}

// A limit: its key, and how to set it from text.
struct LimitField {
  const char* key;
  bool is_duration;
  size_t Limits::*size;
  std::chrono::milliseconds Limits::*duration;
};

constexpr LimitField kLimitFields[] = {
    {"max_body_bytes", false, &Limits::max_body_bytes, nullptr},
    {"max_body_bytes_in_flight", false, &Limits::max_body_bytes_in_flight, nullptr},
    {"max_text_bytes", false, &Limits::max_text_bytes, nullptr},
    {"max_id_bytes", false, &Limits::max_id_bytes, nullptr},
    {"max_recipients", false, &Limits::max_recipients, nullptr},
    {"max_batch", false, &Limits::max_batch, nullptr},
    {"max_ws_frame_bytes", false, &Limits::max_ws_frame_bytes, nullptr},
    {"max_connections", false, &Limits::max_connections, nullptr},
    {"queue_depth", false, &Limits::queue_depth, nullptr},
    {"header_timeout", true, nullptr, &Limits::header_timeout},
    {"idle_timeout", true, nullptr, &Limits::idle_timeout},
    {"write_timeout", true, nullptr, &Limits::write_timeout},
    {"drain_timeout", true, nullptr, &Limits::drain_timeout},
};

// The state: keys, set the same way (max_bytes may be 0: no cap).
struct StateField {
  const char* key;
  bool is_duration;
  size_t StateConfig::*size;
  std::chrono::milliseconds StateConfig::*duration;
};

constexpr StateField kStateFields[] = {
    {"flush_interval", true, nullptr, &StateConfig::flush_interval},
    {"max_unflushed", false, &StateConfig::max_unflushed, nullptr},
    {"context_max_bytes", false, &StateConfig::context_max_bytes, nullptr},
    {"max_bytes", false, &StateConfig::max_bytes, nullptr},
    {"max_conversations", false, &StateConfig::max_conversations, nullptr},
    {"idle_ttl", true, nullptr, &StateConfig::idle_ttl},
    {"context_messages", false, &StateConfig::context_messages, nullptr},
};

constexpr size_t kMaxContextMessages = 10'000;

// What a state key takes, for its error.
std::string state_expects(const StateField& f) {
  if (f.duration == &StateConfig::idle_ttl) return "a duration of at least 1s like 12h or 30d";
  if (f.is_duration) return "a duration like 500ms or 1s";
  if (f.size == &StateConfig::context_messages) return "a count from 0 to " + std::to_string(kMaxContextMessages);
  return "a size or count";
}

bool set_state(const StateField& f, std::string_view text, StateConfig& state) {
  if (f.is_duration) {
    std::chrono::milliseconds d{};
    if (!parse_duration(text, d) || d.count() <= 0) return false;
    if (f.duration == &StateConfig::idle_ttl && d < std::chrono::seconds(1)) return false;
    state.*f.duration = d;
    return true;
  }
  uint64_t n = 0;
  if (!parse_size(text, n)) return false;
  if (f.size == &StateConfig::context_messages) {
    if (n > kMaxContextMessages) return false;
  } else if (n == 0 && f.size != &StateConfig::max_bytes) {
    return false;
  }
  state.*f.size = static_cast<size_t>(n);
  return true;
}

// Sets one limit from text; false when the text is not a valid value for it.
bool set_limit(const LimitField& f, std::string_view text, Limits& limits) {
  if (f.is_duration) return parse_duration(text, limits.*f.duration);
  uint64_t n = 0;
  if (!parse_size(text, n) || n == 0) return false;
  limits.*f.size = static_cast<size_t>(n);
  return true;
}

// Tokens from "name:scope+scope:token,..." (the token itself may hold ':').
bool parse_tokens_env(std::string_view text, std::vector<Token>& out, std::string& why) {
  out.clear();
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty()) continue;
    size_t c1 = item.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : item.find(':', c1 + 1);
    if (c2 == std::string_view::npos) {
      why = "each item must read name:scope+scope:token";
      return false;
    }
    Token t;
    t.name = std::string(item.substr(0, c1));
    t.token = std::string(item.substr(c2 + 1));
    std::string_view scopes = item.substr(c1 + 1, c2 - c1 - 1);
    while (!scopes.empty()) {
      size_t plus = scopes.find('+');
      std::string_view s = scopes.substr(0, plus);
      Scope sc = scope_from_name(s);
      if (sc == kScopeNone) {
        why = "unknown scope '" + std::string(s) + "' (ingest, moderate, admin)";
        return false;
      }
      t.scopes |= sc;
      scopes = plus == std::string_view::npos ? std::string_view{} : scopes.substr(plus + 1);
    }
    out.push_back(std::move(t));
  }
  return true;
}

class YamlReader {
 public:
  YamlReader(const std::string& name, Errors& errors) : name_(name), errors_(errors) {}

  void error(const YAML::Node& node, std::string code, std::string message, std::string field) {
    const YAML::Mark m = node.Mark();
    errors_.push_back(Error(std::move(code), std::move(message))
                          .at(name_, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0)
                          .for_field(std::move(field)));
  }

  bool scalar(const YAML::Node& node, const std::string& field, std::string& out) {
    if (!node.IsScalar()) {
      error(node, "config.bad_type", field + " must be a single value", field);
      return false;
    }
    out = node.Scalar();
    return true;
  }

  void read_limits(const YAML::Node& node, Limits& limits) {
    if (!node.IsMap()) {
      error(node, "config.bad_type", "limits must be a map of limit: value", "limits");
      return;
    }
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      const LimitField* field = nullptr;
      for (const LimitField& f : kLimitFields) {
        if (key == f.key) field = &f;
      }
      if (field == nullptr) {
        error(kv.first, "config.unknown_key", "unknown limit '" + key + "'", "limits." + key);
        continue;
      }
      std::string text;
      if (!scalar(kv.second, "limits." + key, text)) continue;
      if (!set_limit(*field, text, limits)) {
        error(kv.second, "config.bad_value",
              "limits." + key +
                  (field->is_duration ? " must be a duration like 500ms or 10s"
                                      : " must be a positive size like 65536 or 64KiB"),
              "limits." + key);
      }
    }
  }

  void read_state(const YAML::Node& node, StateConfig& state) {
    if (!node.IsMap()) {
      error(node, "config.bad_type", "state must be a map of key: value", "state");
      return;
    }
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      const StateField* field = nullptr;
      for (const StateField& f : kStateFields) {
        if (key == f.key) field = &f;
      }
      if (field == nullptr) {
        error(kv.first, "config.unknown_key",
              "unknown state key '" + key +
                  "' (flush_interval, max_unflushed, context_max_bytes, max_bytes, "
                  "max_conversations, idle_ttl, context_messages)",
              "state." + key);
        continue;
      }
      std::string text;
      if (!scalar(kv.second, "state." + key, text)) continue;
      if (!set_state(*field, text, state)) {
        error(kv.second, "config.bad_value", "state." + key + " must be " + state_expects(*field), "state." + key);
      }
    }
  }

  void read_log(const YAML::Node& node, LogConfig& log) {
    if (!node.IsMap()) {
      error(node, "config.bad_type", "log must be a map (level, format, file)", "log");
      return;
    }
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      std::string text;
      if (key != "level" && key != "format" && key != "file") {
        error(kv.first, "config.unknown_key", "unknown log key '" + key + "' (level, format, file)", "log." + key);
        continue;
      }
      if (!scalar(kv.second, "log." + key, text)) continue;
      if (key == "level") {
        if (!parse_log_level(text)) {
          error(kv.second, "config.bad_value", "log.level must be trace, debug, info, warn, error or off", "log.level");
        }
        log.level = text;
      } else if (key == "format") {
        if (text != "json" && text != "text") {
          error(kv.second, "config.bad_value", "log.format must be json or text", "log.format");
        }
        log.json = text != "text";
      } else {
        log.file = text;
      }
    }
  }

  void read_tokens(const YAML::Node& node, std::vector<Token>& tokens) {
    if (!node.IsSequence()) {
      error(node, "config.bad_type", "tokens must be a list of {token, name, scopes}", "tokens");
      return;
    }
    tokens.clear();
    size_t i = 0;
    for (const auto& item : node) {
      const std::string path = "tokens[" + std::to_string(i++) + "]";
      if (!item.IsMap()) {
        error(item, "config.bad_type", path + " must be a map {token, name, scopes}", path);
        continue;
      }
      Token t;
      bool has_token = false;
      for (const auto& kv : item) {
        const std::string key = kv.first.Scalar();
        if (key == "token") {
          has_token = scalar(kv.second, path + ".token", t.token);
        } else if (key == "name") {
          scalar(kv.second, path + ".name", t.name);
        } else if (key == "scopes") {
          if (!kv.second.IsSequence()) {
            error(kv.second, "config.bad_type", path + ".scopes must be a list", path + ".scopes");
            continue;
          }
          for (const auto& s : kv.second) {
            Scope sc = s.IsScalar() ? scope_from_name(s.Scalar()) : kScopeNone;
            if (sc == kScopeNone) {
              error(s, "config.bad_value", "unknown scope (ingest, moderate, admin)", path + ".scopes");
            }
            t.scopes |= sc;
          }
        } else {
          error(kv.first, "config.unknown_key", "unknown token key '" + key + "' (token, name, scopes)",
                path + "." + key);
        }
      }
      if (!has_token) error(item, "config.missing_key", path + " has no token", path + ".token");
      tokens.push_back(std::move(t));
    }
  }

 private:
  const std::string& name_;
  Errors& errors_;
};

}  // namespace

Status<> parse_listen(std::string_view text, ServerConfig& config) {
  text = trim(text);
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find("]:");
    if (close == std::string_view::npos) {
      return Error("config.bad_listen", "listen must read HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return Error("config.bad_listen", "listen must read HOST:PORT, e.g. 127.0.0.1:8080");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  uint64_t p = 0;
  if (host.empty() || !parse_u64(port, p) || p > 65535) {
    return Error("config.bad_listen",
                 "listen must read HOST:PORT with a port from 0 to 65535, not '" + std::string(text) + "'");
  }
  config.host = std::string(host);
  config.port = static_cast<uint16_t>(p);
  return {};
}

Status<Errors> load_config_yaml(std::string_view yaml, const std::string& name, ServerConfig& config) {
  Errors errors;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    errors.push_back(Error("config.bad_yaml", e.msg).at(name, e.mark.line + 1, e.mark.column + 1));
    return errors;
  }
  if (root.IsNull()) return {};  // an empty file changes nothing
  YamlReader r(name, errors);
  if (!root.IsMap()) {
    r.error(root, "config.bad_type", "the config must be a map of keys", "");
    return errors;
  }
  try {
    for (const auto& kv : root) {
      const std::string key = kv.first.Scalar();
      std::string text;
      if (key == "listen") {
        if (r.scalar(kv.second, key, text)) {
          if (Status<> s = parse_listen(text, config); !s) {
            r.error(kv.second, s.error().code, s.error().message, key);
          }
        }
      } else if (key == "rules") {
        if (r.scalar(kv.second, key, text)) config.rules_dir = text;
      } else if (key == "data_dir") {
        if (r.scalar(kv.second, key, text)) config.data_dir = text;
      } else if (key == "threads") {
        uint64_t n = 0;
        if (r.scalar(kv.second, key, text) && !(parse_u64(text, n) && n <= 1024)) {
          r.error(kv.second, "config.bad_value", "threads must be a number from 0 (one per core) to 1024", key);
        }
        config.threads = static_cast<unsigned>(n);
      } else if (key == "tokens") {
        r.read_tokens(kv.second, config.tokens);
      } else if (key == "limits") {
        r.read_limits(kv.second, config.limits);
      } else if (key == "log") {
        r.read_log(kv.second, config.log);
      } else if (key == "cases") {
        cases::read_cases_yaml(kv.second, name, config.cases, errors);
      } else if (key == "webhooks") {
        cases::read_webhooks_yaml(kv.second, name, config.cases.webhooks, errors);
      } else if (key == "state") {
        r.read_state(kv.second, config.state);
      } else {
        r.error(
            kv.first, "config.unknown_key",
            "unknown key '" + key + "' (listen, rules, data_dir, threads, tokens, limits, log, cases, webhooks, state)",
            key);
      }
    }
  } catch (const YAML::Exception& e) {
    errors.push_back(Error("config.bad_yaml", e.msg).at(name, e.mark.line + 1, e.mark.column + 1));
  }
  if (!errors.empty()) return errors;
  return {};
}

Status<Errors> load_config_file(const std::filesystem::path& file, ServerConfig& config) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return Errors{Error("config.not_found", "cannot read the config file").at(file.string())};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return load_config_yaml(ss.str(), file.string(), config);
}

namespace {

// "VIGIL_STATE_" + "flush_interval" -> "VIGIL_STATE_FLUSH_INTERVAL".
std::string env_name(const char* prefix, const char* key) {
  std::string name = prefix;
  for (const char* c = key; *c; ++c) name += static_cast<char>(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
  return name;
}

}  // namespace

Status<Errors> apply_env(const EnvLookup& getenv, ServerConfig& config) {
  Errors errors;
  auto env = [&](const char* name) -> const char* {
    const char* v = getenv(name);
    return v != nullptr && *v != '\0' ? v : nullptr;
  };
  auto fail = [&](const char* name, std::string message) {
    errors.push_back(Error("config.bad_env", std::move(message)).for_field(name));
  };
  if (const char* v = env("VIGIL_LISTEN")) {
    if (Status<> s = parse_listen(v, config); !s) fail("VIGIL_LISTEN", s.error().message);
  }
  if (const char* v = env("VIGIL_RULES")) config.rules_dir = v;
  if (const char* v = getenv("VIGIL_DATA_DIR")) config.data_dir = v;  // "" = memory only
  if (const char* v = env("VIGIL_THREADS")) {
    uint64_t n = 0;
    if (!parse_u64(v, n) || n > 1024) fail("VIGIL_THREADS", "VIGIL_THREADS must be a number from 0 to 1024");
    config.threads = static_cast<unsigned>(n);
  }
  if (const char* v = env("VIGIL_LOG_LEVEL")) {
    if (!parse_log_level(v)) fail("VIGIL_LOG_LEVEL", "VIGIL_LOG_LEVEL must be trace, debug, info, warn, error or off");
    config.log.level = v;
  }
  if (const char* v = env("VIGIL_LOG_FORMAT")) {
    if (std::string_view(v) != "json" && std::string_view(v) != "text") {
      fail("VIGIL_LOG_FORMAT", "VIGIL_LOG_FORMAT must be json or text");
    }
    config.log.json = std::string_view(v) != "text";
  }
  if (const char* v = env("VIGIL_LOG_FILE")) config.log.file = v;
  if (const char* v = env("VIGIL_CASES_PARTICIPANT_ID_KEY")) config.cases.participant_id_key = v;
  if (const char* v = env("VIGIL_TOKENS")) {
    std::string why;
    if (!parse_tokens_env(v, config.tokens, why)) fail("VIGIL_TOKENS", "VIGIL_TOKENS: " + why);
  }
  for (const StateField& f : kStateFields) {
    const std::string name = env_name("VIGIL_STATE_", f.key);
    if (const char* v = env(name.c_str())) {
      if (!set_state(f, v, config.state)) fail(name.c_str(), name + " must be " + state_expects(f));
    }
  }
  for (const LimitField& f : kLimitFields) {
    const std::string name = env_name("VIGIL_LIMITS_", f.key);
    if (const char* v = env(name.c_str())) {
      if (!set_limit(f, v, config.limits))
        fail(name.c_str(), name + " is not a valid " + (f.is_duration ? "duration" : "size"));
    }
  }
  if (!errors.empty()) return errors;
  return {};
}

const std::vector<std::string>& known_env_names() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> n = {"VIGIL_LISTEN", "VIGIL_RULES", "VIGIL_DATA_DIR", "VIGIL_THREADS", "VIGIL_LOG_LEVEL",
                                  "VIGIL_LOG_FORMAT", "VIGIL_LOG_FILE", "VIGIL_TOKENS",
                                  "VIGIL_CASES_PARTICIPANT_ID_KEY",
                                  // Read by other commands, scripts and tests, not by serve:
                                  "VIGIL_CACHE_DIR", "VIGIL_BENCH_RULES", "VIGIL_CORPORA", "VIGIL_BIN",
                                  "VIGIL_SOURCE_DIR", "VIGIL_BROWSER_OUT", "VIGIL_BROWSER_DEPS", "VIGIL_CHROMIUM"};
    for (const StateField& f : kStateFields) n.push_back(env_name("VIGIL_STATE_", f.key));
    for (const LimitField& f : kLimitFields) n.push_back(env_name("VIGIL_LIMITS_", f.key));
    return n;
  }();
  return kNames;
}

namespace {

// Edits (insert, delete, replace) from a to b.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

Status<Errors> check_env_names(const std::vector<std::string>& names) {
  Errors errors;
  const std::vector<std::string>& known = known_env_names();
  for (const std::string& entry : names) {
    const std::string_view name = std::string_view(entry).substr(0, std::string_view(entry).find('='));
    if (name.rfind("VIGIL_", 0) != 0) continue;
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    const std::string* closest = &known.front();
    for (const std::string& k : known)
      if (edit_distance(name, k) < edit_distance(name, *closest)) closest = &k;
    errors.push_back(Error("config.unknown_env", "unknown environment variable " + std::string(name) +
                                                     " (did you mean " + *closest +
                                                     "? unset it if it is not meant for vigil)")
                         .for_field(std::string(name)));
  }
  if (!errors.empty()) return errors;
  return {};
}

Status<Errors> apply_process_env(ServerConfig& config) {
  std::vector<std::string> names;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    names.emplace_back(entry.substr(0, entry.find('=')));  // the name only: values may be secrets
  }
  Status<Errors> checked = check_env_names(names);
  Status<Errors> applied = apply_env([](const char* name) { return std::getenv(name); }, config);
  Errors errors = checked ? Errors{} : checked.error();
  if (!applied) errors.insert(errors.end(), applied.error().begin(), applied.error().end());
  if (!errors.empty()) return errors;
  return {};
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(std::string(host), ec);
  return !ec && addr.is_loopback();
}

Status<Errors> validate(const ServerConfig& config) {
  Errors errors;
  boost::system::error_code ec;
  if (config.host != "localhost") {
    boost::asio::ip::make_address(config.host, ec);
    if (ec) {
      errors.push_back(
          Error("config.bad_listen", "listen host '" + config.host + "' is not an IP address (or localhost)")
              .for_field("listen"));
    }
  }
  for (size_t i = 0; i < config.tokens.size(); ++i) {
    const Token& t = config.tokens[i];
    const std::string field = "tokens[" + std::to_string(i) + "]";
    if (t.token.empty()) {
      errors.push_back(Error("config.bad_token", field + " has an empty token").for_field(field + ".token"));
    } else if (t.token.size() < kMinTokenBytes) {
      // Never the secret itself: its length says enough.
      errors.push_back(Error("config.bad_token", field + " ('" + t.name + "') is " + std::to_string(t.token.size()) +
                                                     " bytes long; a token needs at least " +
                                                     std::to_string(kMinTokenBytes) +
                                                     " (e.g. the output of openssl rand -hex 16)")
                           .for_field(field + ".token"));
    }
    if (t.scopes == kScopeNone) {
      errors.push_back(
          Error("config.bad_token", field + " has no scope (ingest, moderate, admin)").for_field(field + ".scopes"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (!t.token.empty() && config.tokens[j].token == t.token) {
        errors.push_back(Error("config.bad_token", field + " repeats the token of tokens[" + std::to_string(j) + "]")
                             .for_field(field + ".token"));
      }
    }
  }
  cases::validate_cases(config.cases, errors);
  if (config.tokens.empty() && !ec && !is_loopback_host(config.host)) {
    errors.push_back(Error("config.open_listen",
                           "no tokens are configured, so vigil serves only on loopback; add tokens: to the "
                           "config (or VIGIL_TOKENS) to listen on " +
                               config.host)
                         .for_field("listen"));
  }
  if (config.limits.max_body_bytes_in_flight < config.limits.max_body_bytes) {
    errors.push_back(Error("config.bad_limit", "limits.max_body_bytes_in_flight (" +
                                                   std::to_string(config.limits.max_body_bytes_in_flight) +
                                                   ") is smaller than limits.max_body_bytes (" +
                                                   std::to_string(config.limits.max_body_bytes) +
                                                   "), so the largest body could never be read")
                         .for_field("limits.max_body_bytes_in_flight"));
  }
  if (!errors.empty()) return errors;
  return {};
}

}  // namespace vigil::server
