// EngineStats: the Engine's counters, for /metrics and tests. A consistent-enough
// snapshot: each counter is read atomically, not all of them at one instant.
// Plain data, copyable.
#pragma once

#include <array>
#include <cstdint>

#include "plugin/common/types.h"

namespace vigil {

struct EngineStats {
  uint64_t conversations = 0;          // conversations tracked in memory now
  uint64_t messages = 0;               // messages scored (duplicates and rejects not included)
  uint64_t duplicates = 0;             // repeated (conversation_id, message_id) answered from memory
  uint64_t rejected = 0;               // messages refused by validation
  uint64_t evictions_lru = 0;          // conversations dropped past max_conversations
  uint64_t evictions_ttl = 0;          // conversations dropped after idle_ttl
  uint64_t participants_overflow = 0;  // senders that took the place of the least risky one (max_participants reached)
  uint64_t flushes = 0;                // batches written to the store
  uint64_t flushed_conversations = 0;  // snapshots written in those batches
  uint64_t flush_failures = 0;         // cycles the store refused (disk full, read-only ...)
  uint64_t unflushed_conversations = 0;     // changed and not yet committed (dirty + being written)
  uint64_t unflushed_age_ms = 0;            // age of the oldest acknowledged change not yet committed; 0 none
  uint64_t backpressure_waits = 0;          // process() calls that waited for the writer (max_unflushed)
  bool store_failing = false;               // the last cycle failed (store_status() says why)
  uint64_t rules_cache_write_failures = 0;  // compiled rule databases that could not be cached
  uint64_t context_bytes = 0;               // bytes held by the context rings (context_max_bytes)
  uint64_t context_trimmed = 0;             // texts dropped from context rings for that bound
  uint64_t restored_conversations = 0;      // snapshots loaded at create()
  uint64_t snapshots_skipped = 0;           // stored snapshots create() could not use (another format, undecodable)
  uint64_t scan_failures = 0;               // messages not scored: the Hyperscan scan could not run
  uint64_t rule_reloads = 0;                // successful reload_rules()
  uint64_t rule_reload_failures = 0;
  std::array<uint64_t, kLevelCount> verdicts_by_level{};  // indexed by Level
  std::array<uint64_t, kMaxStages> hits_by_stage{};       // scored hits, by stage index
};

}  // namespace vigil
