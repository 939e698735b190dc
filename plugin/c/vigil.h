/* vigil.h: the C ABI of Vigil's detection core, for chat servers that embed the engine
 * in-process instead of calling the sidecar (`vigil serve`). Link with -lvigil
 * (libvigil.so). The JSON in and out is exactly the sidecar's (server/README.md):
 * vigil_process takes what POST /v1/messages takes for one message and returns what it
 * answers.
 *
 * Thread safety: one vigil_engine may be used from any number of threads at once by
 * vigil_process and vigil_engine_reload. vigil_engine_free must be the last call on an
 * engine and must not overlap any other call on it.
 *
 * Errors: no C++ exception ever leaves this library; every function reports failure
 * through its return value. Strings the library returns are NUL-terminated, allocated
 * with malloc, owned by the caller, and released with vigil_free.
 *
 * The config file (config_path), YAML; every key is optional, unknown keys are errors:
 *   rules: rules               rule pack folder (rules/ of the source tree)
 *   data_dir: ""               scorer state (SQLite); "" or absent: in memory only
 *   rules_cache_dir: ""        compiled-rules cache; default data_dir/hs-cache when
 *                              data_dir is set, else none (every start compiles, seconds)
 *   max_conversations: 1000000 tracked conversations; least recently used evicted past it
 *   context_messages: 50       messages remembered per conversation
 *   idle_ttl_seconds: 2592000  state dropped after this long idle (30 days)
 *   flush_interval_ms: 1000    state written this often (what a crash can lose)
 *   max_text_bytes: 65536      longer texts are refused (message.text_too_long)
 *   max_id_bytes: 256          longer ids are refused (message.id_too_long)
 *   max_recipients: 1000       more recipient_ids are refused (message.too_many_recipients)
 * Relative paths are relative to the folder holding the config file. config_path NULL
 * means every default, relative to the current directory.
 */
#ifndef VIGIL_H
#define VIGIL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define VIGIL_API __attribute__((visibility("default")))
#else
#define VIGIL_API
#endif

/* What a call returns. Stable numbers; vigil_status_string names each. */
typedef enum vigil_status {
  VIGIL_OK = 0,
  /* A required pointer argument was NULL; nothing was done. */
  VIGIL_INVALID_ARGUMENT = 1,
  /* The message was refused (not JSON, not UTF-8, a missing or bad field, too long).
   * *verdict_json holds {"error": {"code", "message", "field"}} as the sidecar's 400. */
  VIGIL_BAD_MESSAGE = 2,
  /* The config file is missing or wrong (vigil_engine_new). */
  VIGIL_BAD_CONFIG = 3,
  /* The rules did not load or their examples failed (vigil_engine_new, _reload); on a
   * reload the running rules stay. */
  VIGIL_BAD_RULES = 4,
  /* Out of memory; nothing was changed. */
  VIGIL_NO_MEMORY = 5,
  /* Anything else (a bug, or state storage that cannot be opened). */
  VIGIL_INTERNAL = 6
} vigil_status;

typedef struct vigil_engine vigil_engine;

/* "ok", "invalid_argument", "bad_message", "bad_config", "bad_rules", "no_memory",
 * "internal"; "unknown" for any other value. A static string: never free it. */
VIGIL_API const char* vigil_status_string(int status);

/* The library's version, e.g. "0.1.0". A static string. */
VIGIL_API const char* vigil_version(void);

/* Loads the config and the rules (compiling them takes seconds without a cache) and
 * resumes saved conversation state. Returns NULL on failure; then, when err is not NULL,
 * *err receives the errors as text, one per line ("file:line:column: code: message"),
 * each starting with its code (config.*, rule.*, store.*, ...). On success *err is set
 * to NULL. */
VIGIL_API vigil_engine* vigil_engine_new(const char* config_path, char** err);

/* Scores one message, given as `len` bytes of JSON (not necessarily NUL-terminated):
 * {"conversation_id", "message_id", "sender_id", "text", optional "recipient_ids",
 * "ts", "sender": {"age_band", "account_age_days"}, "channel"}.
 * VIGIL_OK: *verdict_json is the verdict ({"action": "allow|nudge|hold|escalate",
 * "level", "risk", "hits", ...}). VIGIL_BAD_MESSAGE: it is {"error": {...}} naming the
 * bad field. Either way *verdict_len is its length without the NUL; free it with
 * vigil_free. Other statuses leave both outputs NULL / 0. */
VIGIL_API int vigil_process(vigil_engine* engine, const char* message_json, size_t len, char** verdict_json,
                            size_t* verdict_len);

/* Rebuilds the rules from the rules folder and swaps them in if they load and their
 * examples pass; messages in flight finish on the old rules. On failure the running
 * rules stay and *err (when not NULL) receives the errors as text. */
VIGIL_API int vigil_engine_reload(vigil_engine* engine, char** err);

/* Writes the conversation state (when data_dir is set) and frees the engine. NULL is a
 * no-op. */
VIGIL_API void vigil_engine_free(vigil_engine* engine);

/* Frees a string this library returned. NULL is a no-op. */
VIGIL_API void vigil_free(void* p);

#ifdef __cplusplus
}
#endif

#endif /* VIGIL_H */
