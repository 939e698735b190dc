#include "plugin/engine/conversation_table.h"

#include <algorithm>

namespace vigil {
namespace {

// Below this many conversations per shard, sharding would make the cap loose (each
// shard rounds it up), so small tables use fewer shards.
constexpr size_t kMinPerShard = 1024;
constexpr size_t kMaxShards = 64;
// LRU-tail entries checked for expiry on each access: keeps idle ones from piling up
// without a full sweep, at a bounded cost.
constexpr int kTailChecks = 2;

}  // namespace

std::string_view ConversationSlot::name(int i) const {
  if (i < 0) return {};
  size_t pos = 0;
  for (int k = 0; k < i; ++k) {
    pos = names.find('\0', pos);
    if (pos == std::string::npos) return {};
    ++pos;
  }
  const size_t end = names.find('\0', pos);
  if (end == std::string::npos) return {};
  return std::string_view(names).substr(pos, end - pos);
}

void ConversationSlot::add_name(std::string_view id) {
  names.append(id);
  names.push_back('\0');
}

ConversationTable::ConversationTable(size_t max_conversations, int64_t idle_ttl_ms, size_t context_messages,
                                     bool track_deletions)
    : idle_ttl_ms_(idle_ttl_ms),
      context_messages_(context_messages),
      track_deletions_(track_deletions),
      shards_(std::clamp<size_t>(max_conversations / kMinPerShard, 1, kMaxShards)) {
  const size_t n = shards_.size();
  per_shard_cap_ = std::max<size_t>(1, (max_conversations + n - 1) / n);
}

ConversationTable::~ConversationTable() = default;

bool ConversationTable::expired(const ConversationSlot& slot, int64_t now_ms) const {
  return idle_ttl_ms_ > 0 && now_ms - slot.last_access_ms > idle_ttl_ms_;
}

void ConversationTable::unlink(Shard& s, uint32_t i) {
  ConversationSlot& e = s.slots[i];
  if (e.lru_prev != kNil) s.slots[e.lru_prev].lru_next = e.lru_next;
  else s.head = e.lru_next;
  if (e.lru_next != kNil) s.slots[e.lru_next].lru_prev = e.lru_prev;
  else s.tail = e.lru_prev;
  e.lru_prev = e.lru_next = kNil;
}

void ConversationTable::push_front(Shard& s, uint32_t i) {
  ConversationSlot& e = s.slots[i];
  e.lru_prev = kNil;
  e.lru_next = s.head;
  if (s.head != kNil) s.slots[s.head].lru_prev = i;
  s.head = i;
  if (s.tail == kNil) s.tail = i;
}

void ConversationTable::push_back(Shard& s, uint32_t i) {
  ConversationSlot& e = s.slots[i];
  e.lru_next = kNil;
  e.lru_prev = s.tail;
  if (s.tail != kNil) s.slots[s.tail].lru_next = i;
  s.tail = i;
  if (s.head == kNil) s.head = i;
}

void ConversationTable::drop(Shard& s, uint32_t i, bool ttl) {
  ConversationSlot& e = s.slots[i];
  unlink(s, i);
  s.index.erase(e.key);
  if (track_deletions_) s.deleted.push_back(e.key);
  e.used = false;
  e.dirty = false;
  e.names.clear();
  e.names.shrink_to_fit();
  e.context.reset();
  s.free.push_back(i);
  size_.fetch_sub(1, std::memory_order_relaxed);
  (ttl ? counters_.evictions_ttl : counters_.evictions_lru).fetch_add(1, std::memory_order_relaxed);
}

ConversationSlot* ConversationTable::find(Shard& s, uint64_t key, int64_t now_ms, bool create, bool& created) {
  created = false;
  for (int k = 0; k < kTailChecks && s.tail != kNil; ++k) {
    const uint32_t t = s.tail;
    if (s.slots[t].key == key || !expired(s.slots[t], now_ms)) break;
    drop(s, t, true);
  }
  auto it = s.index.find(key);
  if (it != s.index.end()) {
    ConversationSlot& e = s.slots[it->second];
    if (!expired(e, now_ms)) {
      e.last_access_ms = std::max(e.last_access_ms, now_ms);
      if (s.head != it->second) unlink(s, it->second), push_front(s, it->second);
      return &e;
    }
    drop(s, it->second, true);
  }
  if (!create) return nullptr;
  while (s.index.size() >= per_shard_cap_ && s.tail != kNil) drop(s, s.tail, false);
  uint32_t i;
  if (!s.free.empty()) {
    i = s.free.back();
    s.free.pop_back();
  } else {
    i = static_cast<uint32_t>(s.slots.size());
    s.slots.emplace_back();
  }
  ConversationSlot& e = s.slots[i];
  e.state = ConversationState{};
  e.key = key;
  e.last_access_ms = now_ms;
  e.used = true;
  e.dirty = false;
  if (context_messages_ > 0) e.context = std::make_unique<ContextRing>(context_messages_);
  s.index.emplace(key, i);
  push_front(s, i);
  size_.fetch_add(1, std::memory_order_relaxed);
  created = true;
  return &e;
}

bool ConversationTable::collect(std::vector<SnapshotRow>& rows, std::vector<uint64_t>& deleted, size_t max_rows) {
  bool more = false;
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    deleted.insert(deleted.end(), s.deleted.begin(), s.deleted.end());
    s.deleted.clear();
    for (ConversationSlot& e : s.slots) {
      if (!e.used || !e.dirty) continue;
      if (rows.size() >= max_rows) {
        more = true;
        break;
      }
      rows.push_back({e.key, e.state, e.names, e.last_access_ms});
      e.dirty = false;
    }
  }
  return more;
}

void ConversationTable::requeue(const std::vector<SnapshotRow>& rows, const std::vector<uint64_t>& deleted) {
  for (const SnapshotRow& r : rows) {
    Shard& s = shard_of(r.key);
    std::lock_guard lock(s.mu);
    auto it = s.index.find(r.key);
    if (it != s.index.end()) s.slots[it->second].dirty = true;
  }
  for (uint64_t key : deleted) {
    Shard& s = shard_of(key);
    std::lock_guard lock(s.mu);
    if (!s.index.count(key)) s.deleted.push_back(key);
  }
}

bool ConversationTable::restore(SnapshotRow&& row, int64_t now_ms) {
  Shard& s = shard_of(row.key);
  std::lock_guard lock(s.mu);
  if (s.index.size() >= per_shard_cap_ || s.index.count(row.key)) return false;
  bool created = false;
  ConversationSlot* e = find(s, row.key, now_ms, true, created);
  e->state = row.state;
  e->names = std::move(row.names);
  e->last_access_ms = row.last_access_ms;
  // Rows come newest first: each goes behind the ones before it in the LRU order.
  const uint32_t i = s.index[row.key];
  unlink(s, i);
  push_back(s, i);
  return true;
}

void ConversationTable::sweep(int64_t now_ms) {
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    while (s.tail != kNil && expired(s.slots[s.tail], now_ms)) drop(s, s.tail, true);
  }
}

size_t ConversationTable::size() const { return size_.load(std::memory_order_relaxed); }

}  // namespace vigil
