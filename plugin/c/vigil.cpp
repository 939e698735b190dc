// The C ABI over Engine (vigil.h). Every entry point catches everything: a C caller
// cannot unwind a C++ exception, so anything thrown becomes a status instead.
#include "plugin/c/vigil.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include <nlohmann/json.hpp>

#include "plugin/c/engine_config.h"
#include "plugin/common/json_text.h"
#include "plugin/engine/engine.h"
#include "plugin/engine/message_json.h"

struct vigil_engine {
  std::unique_ptr<vigil::Engine> engine;
  vigil::MessageLimits limits;
};

namespace {

// A malloc'd copy the caller frees with vigil_free (free), so the caller's allocator and
// ours never mix C++ new/delete with C free.
char* copy_out(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p == nullptr) return nullptr;
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

void set_err(char** err, const std::string& text) {
  if (err != nullptr) *err = copy_out(text);
}

// The sidecar's error body for one bad message (server/README.md: {"error": {...}}).
std::string error_body(const vigil::Error& e) {
  nlohmann::json j = {{"error", {{"code", e.code}, {"message", e.message}, {"field", e.field}}}};
  return vigil::dump_json(j);
}

}  // namespace

extern "C" {

const char* vigil_status_string(int status) {
  switch (status) {
    case VIGIL_OK:
      return "ok";
    case VIGIL_INVALID_ARGUMENT:
      return "invalid_argument";
    case VIGIL_BAD_MESSAGE:
      return "bad_message";
    case VIGIL_BAD_CONFIG:
      return "bad_config";
    case VIGIL_BAD_RULES:
      return "bad_rules";
    case VIGIL_NO_MEMORY:
      return "no_memory";
    case VIGIL_INTERNAL:
      return "internal";
    default:
      return "unknown";
  }
}

const char* vigil_version(void) { return VIGIL_VERSION; }

vigil_engine* vigil_engine_new(const char* config_path, char** err) {
  if (err != nullptr) *err = nullptr;
  try {
    vigil::c_abi::EngineConfig config;
    if (auto s = vigil::c_abi::load_engine_config(config_path, config); !s) {
      set_err(err, vigil::to_text(s.error()));
      return nullptr;
    }
    auto created = vigil::Engine::create(config.engine);
    if (!created) {
      set_err(err, vigil::to_text(created.error()));
      return nullptr;
    }
    auto* handle = new vigil_engine;
    handle->engine = std::move(created.value());
    handle->limits = config.limits;
    return handle;
  } catch (const std::bad_alloc&) {
    set_err(err, "vigil.no_memory: out of memory while creating the engine");
  } catch (const std::exception& e) {
    set_err(err, std::string("vigil.internal: ") + e.what());
  } catch (...) {
    set_err(err, "vigil.internal: unexpected failure while creating the engine");
  }
  return nullptr;
}

int vigil_process(vigil_engine* engine, const char* message_json, size_t len, char** verdict_json,
                  size_t* verdict_len) {
  if (verdict_json == nullptr || verdict_len == nullptr) return VIGIL_INVALID_ARGUMENT;
  *verdict_json = nullptr;
  *verdict_len = 0;
  if (engine == nullptr || (message_json == nullptr && len > 0)) return VIGIL_INVALID_ARGUMENT;
  try {
    std::string out;
    int status = VIGIL_OK;
    // One reader for every front end: the sidecar's (message_json.h), checks and codes alike.
    auto message =
        vigil::message_from_json_text(std::string_view(message_json ? message_json : "", len), engine->limits);
    if (!message) {
      out = error_body(message.error());
      status = VIGIL_BAD_MESSAGE;
    } else if (auto verdict = engine->engine->process(*message); !verdict) {
      out = error_body(verdict.error());
      status = VIGIL_BAD_MESSAGE;
    } else {
      vigil::append_verdict_json(*verdict, out);
    }
    char* p = copy_out(out);
    if (p == nullptr) return VIGIL_NO_MEMORY;
    *verdict_json = p;
    *verdict_len = out.size();
    return status;
  } catch (const std::bad_alloc&) {
    return VIGIL_NO_MEMORY;
  } catch (...) {
    return VIGIL_INTERNAL;
  }
}

int vigil_engine_reload(vigil_engine* engine, char** err) {
  if (err != nullptr) *err = nullptr;
  if (engine == nullptr) return VIGIL_INVALID_ARGUMENT;
  try {
    if (auto s = engine->engine->reload_rules(); !s) {
      set_err(err, vigil::to_text(s.error()));
      return VIGIL_BAD_RULES;
    }
    return VIGIL_OK;
  } catch (const std::bad_alloc&) {
    return VIGIL_NO_MEMORY;
  } catch (...) {
    return VIGIL_INTERNAL;
  }
}

void vigil_engine_free(vigil_engine* engine) {
  try {
    delete engine;  // ~Engine flushes the state
  } catch (...) {
    // Nothing a C caller could do; the destructor already tried its best to flush.
  }
}

void vigil_free(void* p) { std::free(p); }

}  // extern "C"
