#include "plugin/c/engine_config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace vigil::c_abi {

namespace {

namespace fs = std::filesystem;

struct IntKey {
  const char* key;
  uint64_t min;
  uint64_t max;
};

// The numeric keys and their accepted ranges (what vigil.h documents).
constexpr IntKey kIntKeys[] = {
    {"max_conversations", 1, 1'000'000'000},
    {"context_messages", 1, 10'000},
    {"idle_ttl_seconds", 1, 10ull * 365 * 24 * 3600},
    {"flush_interval_ms", 10, 3'600'000},
    {"max_text_bytes", 1, 64ull << 20},
    {"max_id_bytes", 1, 64 << 10},
    {"max_recipients", 1, 1'000'000},
};

void set_int(std::string_view key, uint64_t n, EngineConfig& c) {
  if (key == "max_conversations") c.engine.max_conversations = n;
  if (key == "context_messages") c.engine.context_messages = n;
  if (key == "idle_ttl_seconds") c.engine.idle_ttl = std::chrono::seconds(n);
  if (key == "flush_interval_ms") c.engine.flush_interval = std::chrono::milliseconds(n);
  if (key == "max_text_bytes") c.engine.max_text_bytes = c.limits.max_text_bytes = n;
  if (key == "max_id_bytes") c.limits.max_id_bytes = n;
  if (key == "max_recipients") c.limits.max_recipients = n;
}

Error at(const YAML::Node& node, const std::string& file, std::string code, std::string message, std::string key) {
  const YAML::Mark m = node.Mark();
  return Error(std::move(code), std::move(message))
      .at(file, m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0)
      .for_field(std::move(key));
}

// A path from the file, relative to the file's folder; "" stays "" (none).
fs::path resolve(const fs::path& base, const std::string& text) {
  if (text.empty()) return {};
  fs::path p(text);
  return p.is_absolute() ? p : base / p;
}

}  // namespace

Status<Errors> load_engine_config(const char* path, EngineConfig& out) {
  out = EngineConfig{};
  out.engine.max_text_bytes = out.limits.max_text_bytes;
  if (path == nullptr) return {};
  const std::string file = path;
  std::ifstream in(file, std::ios::binary);
  if (!in) return Errors{Error("config.not_found", "cannot read the config file").at(file)};
  std::stringstream ss;
  ss << in.rdbuf();

  const fs::path base = fs::path(file).parent_path();
  out.engine.rules_dir = base / "rules";
  Errors errors;
  try {
    YAML::Node root = YAML::Load(ss.str());
    if (root.IsNull()) return {};  // an empty file: every default
    if (!root.IsMap()) return Errors{at(root, file, "config.bad_type", "the config must be a map of keys", "")};
    for (const auto& kv : root) {
      const std::string key = kv.first.Scalar();
      if (!kv.second.IsScalar() && !kv.second.IsNull()) {
        errors.push_back(at(kv.second, file, "config.bad_type", key + " must be a single value", key));
        continue;
      }
      const std::string text = kv.second.IsNull() ? "" : kv.second.Scalar();
      if (key == "rules") {
        out.engine.rules_dir = resolve(base, text.empty() ? "rules" : text);
      } else if (key == "data_dir") {
        out.engine.data_dir = resolve(base, text);
      } else if (key == "rules_cache_dir") {
        out.engine.rules_cache_dir = resolve(base, text);
      } else if (const IntKey* k = [&]() -> const IntKey* {
                   for (const IntKey& i : kIntKeys)
                     if (key == i.key) return &i;
                   return nullptr;
                 }()) {
        uint64_t n = 0;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (text.empty() || ec != std::errc() || p != text.data() + text.size() || n < k->min || n > k->max) {
          errors.push_back(at(
              kv.second, file, "config.bad_value",
              key + " must be a whole number from " + std::to_string(k->min) + " to " + std::to_string(k->max), key));
          continue;
        }
        set_int(key, n, out);
      } else {
        errors.push_back(at(kv.first, file, "config.unknown_key",
                            "unknown key '" + key +
                                "' (rules, data_dir, rules_cache_dir, max_conversations, context_messages, "
                                "idle_ttl_seconds, flush_interval_ms, max_text_bytes, max_id_bytes, "
                                "max_recipients)",
                            key));
      }
    }
  } catch (const YAML::Exception& e) {
    errors.push_back(Error("config.bad_yaml", e.msg).at(file, e.mark.line + 1, e.mark.column + 1));
  }
  if (!errors.empty()) return errors;
  return {};
}

}  // namespace vigil::c_abi
