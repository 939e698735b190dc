// Engine: the facade of the detection core. Message in, Verdict out: normalise, match
// against the current RuleSet, score the conversation, answer. Used alike by the
// sidecar, the CLI (replay, eval) and the C ABI.
//
// Thread-safe: process() may be called from any number of threads at once; conversation
// state is sharded and each thread keeps its own normaliser scratch and matcher.
// reload_rules() swaps the rule snapshot atomically: in-flight messages finish on the
// old one. Not copyable, not movable.
//
// Durability (with a data_dir): one writer thread commits every changed conversation's
// snapshot in one transaction per cycle; a cycle starts as soon as changes wait, at most
// flush_interval / 4 after the previous one began. The bound: a crash of the process
// (kill -9, abort) loses no change acknowledged (process() returned) more than
// 2 x flush_interval before it. It holds under load because process() waits
// (backpressure) while the writer is behind: while as many conversations wait as the
// writer commits in half an interval at its measured rate (never more than
// max_unflushed), or while a change has waited a whole interval (a stalled or starved
// writer). tests/server/crash_test.cpp checks it with kill -9 under load. A power cut may
// also lose the last committed cycle (synchronous=NORMAL). While the store cannot write
// (read-only, disk full) nothing waits: the engine scores on, keeps the changes in memory,
// reports store_status() and retries; the bound holds again from the first cycle that
// commits.
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
#include <utility>
#include <vector>

#include "plugin/common/error.h"
#include "plugin/engine/context_ring.h"
#include "plugin/engine/conversation_info.h"
#include "plugin/engine/engine_stats.h"
#include "plugin/engine/message.h"
#include "plugin/rules/rule_set.h"

namespace vigil {

// A change in the health of what the engine writes, for the caller's log: reported once
// when writing starts failing (with the error) and once when it works again.
struct StorageEvent {
  enum Kind : uint8_t {
    kStoreFailing,        // the snapshot store refused a cycle; error says why
    kStoreRecovered,      // a cycle committed again; the backlog is written
    kRulesCacheFailing,   // a compiled rule database could not be cached (rules.cache_write_failed)
    kRulesCacheRecovered  // a later load wrote the cache
  };
  Kind kind;
  Error error;  // empty on recovery
};

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
  // The texts (and ids) of every context ring together, in bytes; past it the rings of
  // the conversations active least recently give up their oldest texts first. 0: no bound.
  size_t context_max_bytes = 256u << 20;
  // The writer's cycle; a crash loses at most the changes of the last 2 x flush_interval
  // (see Durability above).
  std::chrono::milliseconds flush_interval{1000};
  // Conversations changed and not yet committed, at most; past it (or past what the writer
  // commits in half an interval, if less) process() waits for the writer.
  size_t max_unflushed = 20'000;
  size_t max_text_bytes = MessageLimits{}.max_text_bytes;
  // > 0: cap on the store file's size; past it flushes fail (counted) as on a full disk.
  int64_t store_max_bytes = 0;
  // The clock, injectable for tests; returns epoch milliseconds. Default: system clock.
  std::function<int64_t()> now_ms;
  // Storage health changes (see StorageEvent), called from the writer thread or the thread
  // that loads rules; must be thread-safe. Null: not reported (still counted).
  std::function<void(const StorageEvent&)> on_storage_event;
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
  // conversation's state untouched, and so does rules.scan_failed (Hyperscan could not
  // scan, e.g. out of memory: the message is not scored, counted in
  // EngineStats::scan_failures; sending it again is safe). A repeated (conversation_id, message_id) among the
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
  // Hits per rule of the running rule set, in rule order: (id, hits since start), shadow
  // rules included, duplicates not. A rule kept across a reload keeps its count (hits of
  // messages still scoring on the old rules during the swap may be missed); a removed
  // rule is gone. As many entries as rules: bounded, fit for /metrics labels.
  std::vector<std::pair<std::string, uint64_t>> rule_hits() const;

  // Builds a new RuleSet from options.rules_dir aside, and swaps it in only if it loads
  // and its examples pass. On failure the running rules stay.
  Status<Errors> reload_rules();
  // The running rules; never null (create() fails without rules, a failed reload keeps
  // them).
  std::shared_ptr<const RuleSet> rules() const;

  // Writes every dirty conversation to the store now (also done every flush_interval).
  Status<> flush();
  // Ok while the store writes (or there is none); else the error of the last failed
  // cycle (store.read_only, store.full, store.io), until a cycle commits again.
  Status<> store_status() const;

  struct Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
