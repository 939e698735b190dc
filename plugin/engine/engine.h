// Engine: the facade of the detection core. Message in, Verdict out: normalise, match
// against the current RuleSet, score the conversation, answer. Used alike by the
// sidecar, the CLI (replay, eval) and the C ABI.
//
// Thread-safe: process() may be called from any number of threads at once; conversation
// state is sharded and each thread keeps its own normaliser scratch and matcher.
// reload_rules() swaps the rule snapshot atomically: in-flight messages finish on the
// old one. Not copyable, not movable.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "plugin/common/error.h"
#include "plugin/engine/context_ring.h"
#include "plugin/engine/conversation_info.h"
#include "plugin/engine/engine_stats.h"
#include "plugin/engine/message.h"
#include "plugin/rules/rule_set.h"

namespace vigil {

struct EngineOptions {
  std::filesystem::path rules_dir = "rules";
  // Empty: state in memory only, nothing written (vigil replay without --data-dir).
  // Else data_dir/vigil.db (SQLite, WAL) holds the scorer snapshots (no message text),
  // written in batches every flush_interval by a background thread, on flush() and on
  // destruction, and loaded by create() so a restart resumes every conversation.
  std::filesystem::path data_dir;
  // Where compiled rule databases are cached (keyed by content and Hyperscan version), so
  // a restart skips the compile. Empty: data_dir/hs-cache when data_dir is set, else none.
  std::filesystem::path rules_cache_dir;
  size_t max_conversations = 1'000'000;           // LRU eviction past this
  std::chrono::seconds idle_ttl{30 * 24 * 3600};  // state dropped after this long idle (receive clock)
  size_t context_messages = 50;                   // last N messages kept in memory per conversation
  // What a crash can lose: the changes since the last batch, at most one interval.
  std::chrono::milliseconds flush_interval{1000};
  size_t max_text_bytes = 64 * 1024;
  // > 0: cap on the store file's size; past it flushes fail (counted) as on a full disk.
  int64_t store_max_bytes = 0;
  // The clock, injectable for tests; returns epoch milliseconds. Default: system clock.
  std::function<int64_t()> now_ms;
};

struct Explanation;  // plugin/scoring/explanation.h: which hits and multipliers made a score

class Engine {
 public:
  static Result<std::unique_ptr<Engine>, Errors> create(EngineOptions options);
  ~Engine();  // flushes state
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Scores one message. Errors (message.missing_field for an empty required field,
  // message.text_too_long past max_text_bytes; Error::field names it) leave every
  // conversation's state untouched. A repeated (conversation_id, message_id) among the
  // conversation's last 8 scored messages (kRecentIds) is answered from memory with the
  // first verdict's risk, level, action and suspect, `duplicate` set, no hits, and is not
  // scored again. A message without ts_ms is scored at the receive time (now_ms).
  Result<Verdict> process(const Message& message);
  // The same, and when `explain` is not null, fills it with the hits and multipliers
  // behind the verdict (vigil replay --explain). Slower: allocates.
  Result<Verdict> process(const Message& message, Explanation* explain);

  // The conversation's current state, or nullopt when it is not tracked (never seen,
  // evicted). Thread-safe; takes the conversation's shard lock briefly.
  std::optional<ConversationInfo> conversation(std::string_view conversation_id) const;

  // The conversation's context ring (its last EngineOptions::context_messages scored
  // messages, text included, oldest first), copied under the shard lock; empty when the
  // conversation is not tracked or has no ring (e.g. restored after a restart). For the
  // case store (server/cases/), which keeps this text on disk once a case opens.
  std::vector<ContextMessage> context(std::string_view conversation_id) const;

  // Forgets the conversation's scorer state and context (the store's snapshot goes at
  // the next flush). True when it was tracked. DELETE /v1/conversations/{id}.
  bool forget(std::string_view conversation_id);

  // The counters (see engine_stats.h). Thread-safe, lock-free.
  EngineStats stats() const;

  // Builds a new RuleSet from options.rules_dir aside, and swaps it in only if it loads
  // and its examples pass. On failure the running rules stay.
  Status<Errors> reload_rules();
  std::shared_ptr<const RuleSet> rules() const;

  // Writes every dirty conversation to the store now (also done every flush_interval).
  Status<> flush();

  struct Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
