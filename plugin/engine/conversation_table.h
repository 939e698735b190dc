// ConversationTable: the in-memory home of every tracked conversation: its
// ConversationState, its participants' readable ids, and an optional ContextRing,
// keyed by the 64-bit hash of the conversation_id (ids are never kept as text here; a
// collision between two live conversations has odds of about n²/2^65).
//
// Sharded: `shards` independent parts, each with its own mutex, index and LRU list, so
// threads working on different conversations rarely meet. Bounded two ways:
//  - a cap on conversations: past max_conversations the least recently used one of the
//    shard is dropped (LRU per shard: with many shards, close to a global LRU);
//  - an idle TTL: a conversation not touched for idle_ttl_ms is dropped when next seen,
//    when the shard's LRU tail is checked on each access, and by sweep().
// The context rings' texts are bounded apart: each shard holds at most its share of
// context_max_bytes, and past it drops texts oldest first from the conversations that
// were active least recently (a second LRU list, of the conversations holding texts).
// Conversations changed since the last flush are "dirty": each shard lists their keys, so
// collect() costs what changed, not what is tracked, and dirty_count() is exact.
// Dropped conversations start afresh if they come back; their keys are queued so the
// store deletes their snapshots too.
//
// Thread-safe. Not copyable, not movable.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/engine/context_ring.h"
#include "plugin/scoring/conversation_state.h"

namespace vigil {

// A stage layout: the stage names a state's evidence is indexed by, in order. Interned
// process-wide (intern_stage_layout), so a layout is known by its id.
struct StageLayout {
  uint32_t id = 0;  // never 0
  std::vector<std::string> names;
  std::string text;  // the names, each followed by ',': what the store keeps
};

// The layout of these stage names (the same names always give the same object). Thread-safe.
std::shared_ptr<const StageLayout> intern_stage_layout(const std::vector<std::string>& names);
// The interned layout of a store's `text` form.
std::shared_ptr<const StageLayout> intern_stage_layout(std::string_view text);
// The layout with this id, or null (0, unknown). Thread-safe.
std::shared_ptr<const StageLayout> stage_layout(uint32_t id);

// Participant ids in slot order, each written as its length (LEB128) then its bytes, so
// no byte of an id (NUL, a separator, anything) can shift the list.
std::string_view participant_name(std::string_view names, int i);
// Sets id `i` (i == the count appends); "" ids fill any gap before it.
void set_participant_name(std::string& names, int i, std::string_view id);

struct ConversationSlot {
  ConversationState state;
  std::string names;                     // participant sender ids in slot order (participant_name's form)
  std::unique_ptr<ContextRing> context;  // null when context_messages is 0 or after a restore
  uint64_t key = 0;
  int64_t last_access_ms = 0;  // receive clock, for the TTL and the restore order
  uint32_t lru_prev = 0, lru_next = 0;
  uint32_t layout_id = 0;               // the StageLayout the state's evidence is indexed by; 0 none yet
  uint32_t ctx_prev = 0, ctx_next = 0;  // the shard's list of conversations holding texts
  bool dirty = false;                   // changed since the last flush (set it in with(); the table lists it)
  bool used = false;

  // The id of participant i, or "" when unknown.
  std::string_view name(int i) const { return participant_name(names, i); }
  void set_name(int i, std::string_view id) { set_participant_name(names, i, id); }
  // Re-indexes the state's evidence to `to` by stage name when it is indexed by another
  // layout (after a reload or restart with stages.yaml reordered); then layout_id = to.id.
  void conform(const StageLayout& to);
};

// One snapshot as the store keeps it.
struct SnapshotRow {
  uint64_t key = 0;
  ConversationState state;
  std::string names;
  int64_t last_access_ms = 0;
  std::shared_ptr<const StageLayout> layout;  // what the state's evidence is indexed by
};

struct TableCounters {
  std::atomic<uint64_t> evictions_lru{0};
  std::atomic<uint64_t> evictions_ttl{0};
  std::atomic<uint64_t> context_trimmed{0};  // texts dropped for context_max_bytes
};

class ConversationTable {
 public:
  // `track_deletions`: queue the keys of dropped conversations for the store (only when
  // there is one, else the queue would grow without bound).
  // `context_max_bytes`: the rings' bytes across the table (0: no bound).
  ConversationTable(size_t max_conversations, int64_t idle_ttl_ms, size_t context_messages, bool track_deletions,
                    size_t context_max_bytes = 0);
  ~ConversationTable();
  ConversationTable(const ConversationTable&) = delete;
  ConversationTable& operator=(const ConversationTable&) = delete;

  // Runs f(ConversationSlot&, bool created) under the shard lock, creating the slot when
  // absent (or expired) and `create` is true; returns false when absent and not created.
  // After f: a slot f marked dirty is listed for collect(), and a context ring f grew is
  // accounted (and the shard's oldest texts trimmed past its share of the bound).
  template <class F>
  bool with(uint64_t key, int64_t now_ms, bool create, F&& f);

  // Moves up to `max_rows` dirty conversations into `rows` (marking them clean) and every
  // queued deletion into `deleted`. Returns whether dirty ones remain.
  bool collect(std::vector<SnapshotRow>& rows, std::vector<uint64_t>& deleted, size_t max_rows);
  // Conversations marked dirty and not collected since.
  size_t dirty_count() const { return dirty_.load(std::memory_order_relaxed); }
  // Bytes held by every context ring.
  size_t context_bytes() const { return context_bytes_.load(std::memory_order_relaxed); }
  // After a failed write: marks these conversations dirty again (if still tracked) and
  // queues the deletions again.
  void requeue(const std::vector<uint64_t>& keys, const std::vector<uint64_t>& deleted);
  // Inserts a snapshot loaded from the store (clean). False when the table is full.
  bool restore(SnapshotRow&& row, int64_t now_ms);
  // Drops one conversation (queued for deletion from the store). False when absent.
  bool forget(uint64_t key);
  // Drops every conversation idle for longer than the TTL.
  void sweep(int64_t now_ms);

  size_t size() const;
  const TableCounters& counters() const { return counters_; }

 private:
  static constexpr uint32_t kNil = UINT32_MAX;       // no slot (LRU links, empty bucket)
  static constexpr uint32_t kTomb = UINT32_MAX - 1;  // a bucket whose entry was erased
  static constexpr uint32_t kChunk = 64;             // slots are allocated this many at a time

  // Memory per conversation is the point here: slots live in fixed chunks (no vector
  // growth slack, stable addresses) and the index is an open-addressing table of slot
  // numbers (4 bytes a bucket, at most 70% full) rather than a node-based map.
  struct Shard {
    mutable std::mutex mu;
    std::vector<std::unique_ptr<ConversationSlot[]>> chunks;
    uint32_t slot_count = 0;        // slots handed out from chunks so far
    std::vector<uint32_t> free;     // dropped slots, reused first
    std::vector<uint32_t> buckets;  // slot numbers, kNil or kTomb; size a power of two
    size_t live = 0;                // conversations in the shard
    size_t filled = 0;              // buckets not kNil (live + tombs)
    std::vector<uint64_t> deleted;  // keys whose snapshots the store should delete
    std::vector<uint64_t> dirty;    // keys marked dirty since the last collect (may repeat)
    uint32_t head = kNil;           // most recently used
    uint32_t tail = kNil;           // least recently used
    uint32_t ctx_head = kNil;       // the conversations holding texts, most recently grown first
    uint32_t ctx_tail = kNil;
    size_t context_bytes = 0;

    ConversationSlot& at(uint32_t i) { return chunks[i / kChunk][i % kChunk]; }
    const ConversationSlot& at(uint32_t i) const { return chunks[i / kChunk][i % kChunk]; }
    // The bucket holding `key`, or kNil.
    size_t lookup(uint64_t key) const;
    void insert(uint64_t key, uint32_t slot);
    void erase(uint64_t key);
    void rehash(size_t buckets_wanted);
  };

  Shard& shard_of(uint64_t key) { return shards_[(key >> 40) % shards_.size()]; }
  // Finds (touching the LRU) or creates; nullptr when absent and !create. Shard locked.
  ConversationSlot* find(Shard& s, uint64_t key, int64_t now_ms, bool create, bool& created);
  void unlink(Shard& s, uint32_t i);
  void push_front(Shard& s, uint32_t i);
  void push_back(Shard& s, uint32_t i);
  // `counted`: an eviction (LRU or TTL) rather than an erasure.
  void drop(Shard& s, uint32_t i, bool ttl, bool counted = true);
  bool expired(const ConversationSlot& slot, int64_t now_ms) const;
  // After a with(): lists a newly dirty slot, accounts a ring's growth, trims past the cap.
  void after_use(Shard& s, ConversationSlot& slot, bool was_dirty, size_t ring_bytes_before);
  void ctx_unlink(Shard& s, uint32_t i);
  void ctx_push_front(Shard& s, uint32_t i);

  size_t per_shard_cap_;
  int64_t idle_ttl_ms_;
  size_t context_messages_;
  bool track_deletions_;
  size_t per_shard_context_bytes_;  // 0: no bound
  std::vector<Shard> shards_;
  TableCounters counters_;
  std::atomic<size_t> size_{0};
  std::atomic<size_t> dirty_{0};
  std::atomic<size_t> context_bytes_{0};
};

template <class F>
bool ConversationTable::with(uint64_t key, int64_t now_ms, bool create, F&& f) {
  Shard& s = shard_of(key);
  std::lock_guard lock(s.mu);
  bool created = false;
  ConversationSlot* slot = find(s, key, now_ms, create, created);
  if (!slot) return false;
  const bool was_dirty = slot->dirty;
  const size_t ring_bytes = slot->context ? slot->context->bytes() : 0;
  f(*slot, created);
  if (slot->dirty != was_dirty || (slot->context && slot->context->bytes() != ring_bytes))
    after_use(s, *slot, was_dirty, ring_bytes);
  return true;
}

}  // namespace vigil
