#include "plugin/engine/conversation_table.h"

#include <algorithm>
#include <mutex>

namespace vigil {
namespace {

// Below this many conversations per shard, sharding would make the cap loose (each
// shard rounds it up), so small tables use fewer shards.
constexpr size_t kMinPerShard = 1024;
constexpr size_t kMaxShards = 64;
// LRU-tail entries checked for expiry on each access: keeps idle ones from piling up
// without a full sweep, at a bounded cost.
constexpr int kTailChecks = 2;
constexpr size_t kMinBuckets = 16;

// Keys are already hashes; the shard used the high bits, the buckets use the low ones
// after a multiply so sequential keys still spread.
size_t bucket_of(uint64_t key, size_t mask) { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 20) & mask; }

}  // namespace

namespace {

// Reads one LEB128 length at `pos`; false past the end or on a length beyond the rest.
bool read_entry(std::string_view names, size_t& pos, std::string_view& out) {
  uint64_t len = 0;
  for (int shift = 0;; shift += 7) {
    if (pos >= names.size() || shift > 56) return false;
    const auto b = static_cast<unsigned char>(names[pos++]);
    len |= uint64_t{b & 0x7fu} << shift;
    if (!(b & 0x80)) break;
  }
  if (len > names.size() - pos) return false;
  out = names.substr(pos, len);
  pos += len;
  return true;
}

void write_entry(std::string& out, std::string_view id) {
  for (uint64_t len = id.size();; len >>= 7) {
    const auto b = static_cast<unsigned char>(len & 0x7f);
    if (len < 0x80) {
      out.push_back(static_cast<char>(b));
      break;
    }
    out.push_back(static_cast<char>(b | 0x80));
  }
  out.append(id);
}

struct LayoutRegistry {
  std::mutex mu;
  std::vector<std::shared_ptr<const StageLayout>> all;  // id - 1
};

LayoutRegistry& layouts() {
  static LayoutRegistry r;
  return r;
}

}  // namespace

std::string_view participant_name(std::string_view names, int i) {
  if (i < 0) return {};
  size_t pos = 0;
  std::string_view id;
  for (int k = 0; k <= i; ++k)
    if (!read_entry(names, pos, id)) return {};
  return id;
}

void set_participant_name(std::string& names, int i, std::string_view id) {
  if (i < 0) return;
  std::string out;
  size_t pos = 0;
  std::string_view old;
  int k = 0;
  for (; read_entry(names, pos, old); ++k) write_entry(out, k == i ? id : old);
  for (; k <= i; ++k) write_entry(out, k == i ? id : std::string_view{});
  names = std::move(out);
}

std::shared_ptr<const StageLayout> intern_stage_layout(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& n : names) text += n + ",";
  LayoutRegistry& r = layouts();
  std::lock_guard lock(r.mu);
  for (const auto& l : r.all)
    if (l->text == text) return l;
  auto l = std::make_shared<StageLayout>(StageLayout{static_cast<uint32_t>(r.all.size() + 1), names, text});
  r.all.push_back(l);
  return l;
}

std::shared_ptr<const StageLayout> intern_stage_layout(std::string_view text) {
  std::vector<std::string> names;
  size_t start = 0;
  for (size_t comma; (comma = text.find(',', start)) != std::string_view::npos; start = comma + 1)
    names.emplace_back(text.substr(start, comma - start));
  if (start < text.size()) names.emplace_back(text.substr(start));
  return intern_stage_layout(names);
}

std::shared_ptr<const StageLayout> stage_layout(uint32_t id) {
  LayoutRegistry& r = layouts();
  std::lock_guard lock(r.mu);
  return id == 0 || id > r.all.size() ? nullptr : r.all[id - 1];
}

void ConversationSlot::conform(const StageLayout& to) {
  if (layout_id == to.id) return;
  if (layout_id != 0)
    if (const auto from = stage_layout(layout_id)) state.remap_stages(from->names, to.names);
  layout_id = to.id;
  dirty = true;
}

size_t ConversationTable::Shard::lookup(uint64_t key) const {
  if (buckets.empty()) return kNil;
  const size_t mask = buckets.size() - 1;
  for (size_t b = bucket_of(key, mask);; b = (b + 1) & mask) {
    const uint32_t v = buckets[b];
    if (v == kNil) return kNil;
    if (v != kTomb && at(v).key == key) return b;
  }
}

void ConversationTable::Shard::rehash(size_t wanted) {
  std::vector<uint32_t> old = std::move(buckets);
  buckets.assign(wanted, kNil);
  filled = 0;
  const size_t mask = wanted - 1;
  for (uint32_t v : old) {
    if (v == kNil || v == kTomb) continue;
    size_t b = bucket_of(at(v).key, mask);
    while (buckets[b] != kNil) b = (b + 1) & mask;
    buckets[b] = v;
    ++filled;
  }
}

void ConversationTable::Shard::insert(uint64_t key, uint32_t slot) {
  // At most 70% of buckets filled (tombs included): grow when live entries need it,
  // else just clear the tombs.
  if ((filled + 1) * 10 > buckets.size() * 7) {
    size_t n = std::max(kMinBuckets, buckets.size());
    while ((live + 1) * 10 > n * 5) n *= 2;
    rehash(n);
  }
  const size_t mask = buckets.size() - 1;
  size_t b = bucket_of(key, mask);
  while (buckets[b] != kNil && buckets[b] != kTomb) b = (b + 1) & mask;
  if (buckets[b] == kNil) ++filled;
  buckets[b] = slot;
  ++live;
}

void ConversationTable::Shard::erase(uint64_t key) {
  const size_t b = lookup(key);
  if (b == kNil) return;
  buckets[b] = kTomb;
  --live;
}

ConversationTable::ConversationTable(size_t max_conversations, int64_t idle_ttl_ms, size_t context_messages,
                                     bool track_deletions, size_t context_max_bytes)
    : idle_ttl_ms_(idle_ttl_ms),
      context_messages_(context_messages),
      track_deletions_(track_deletions),
      shards_(std::clamp<size_t>(max_conversations / kMinPerShard, 1, kMaxShards)) {
  const size_t n = shards_.size();
  per_shard_cap_ = std::max<size_t>(1, (max_conversations + n - 1) / n);
  // Rounded down, so the shards together never hold more than the bound.
  per_shard_context_bytes_ = context_max_bytes == 0 ? 0 : std::max<size_t>(1, context_max_bytes / n);
}

ConversationTable::~ConversationTable() = default;

bool ConversationTable::expired(const ConversationSlot& slot, int64_t now_ms) const {
  return idle_ttl_ms_ > 0 && now_ms - slot.last_access_ms > idle_ttl_ms_;
}

void ConversationTable::unlink(Shard& s, uint32_t i) {
  ConversationSlot& e = s.at(i);
  if (e.lru_prev != kNil)
    s.at(e.lru_prev).lru_next = e.lru_next;
  else
    s.head = e.lru_next;
  if (e.lru_next != kNil)
    s.at(e.lru_next).lru_prev = e.lru_prev;
  else
    s.tail = e.lru_prev;
  e.lru_prev = e.lru_next = kNil;
}

void ConversationTable::push_front(Shard& s, uint32_t i) {
  ConversationSlot& e = s.at(i);
  e.lru_prev = kNil;
  e.lru_next = s.head;
  if (s.head != kNil) s.at(s.head).lru_prev = i;
  s.head = i;
  if (s.tail == kNil) s.tail = i;
}

void ConversationTable::push_back(Shard& s, uint32_t i) {
  ConversationSlot& e = s.at(i);
  e.lru_next = kNil;
  e.lru_prev = s.tail;
  if (s.tail != kNil) s.at(s.tail).lru_next = i;
  s.tail = i;
  if (s.head == kNil) s.head = i;
}

void ConversationTable::ctx_unlink(Shard& s, uint32_t i) {
  ConversationSlot& e = s.at(i);
  if (e.ctx_prev != kNil)
    s.at(e.ctx_prev).ctx_next = e.ctx_next;
  else if (s.ctx_head == i)
    s.ctx_head = e.ctx_next;
  else
    return;  // not listed
  if (e.ctx_next != kNil)
    s.at(e.ctx_next).ctx_prev = e.ctx_prev;
  else
    s.ctx_tail = e.ctx_prev;
  e.ctx_prev = e.ctx_next = kNil;
}

void ConversationTable::ctx_push_front(Shard& s, uint32_t i) {
  ConversationSlot& e = s.at(i);
  e.ctx_prev = kNil;
  e.ctx_next = s.ctx_head;
  if (s.ctx_head != kNil) s.at(s.ctx_head).ctx_prev = i;
  s.ctx_head = i;
  if (s.ctx_tail == kNil) s.ctx_tail = i;
}

void ConversationTable::after_use(Shard& s, ConversationSlot& slot, bool was_dirty, size_t ring_bytes_before) {
  if (slot.dirty && !was_dirty) {
    s.dirty.push_back(slot.key);
    dirty_.fetch_add(1, std::memory_order_relaxed);
  }
  if (!slot.context) return;
  const size_t now = slot.context->bytes();
  if (now == ring_bytes_before) return;
  s.context_bytes += now - ring_bytes_before;  // modular: a shrink subtracts
  context_bytes_.fetch_add(now - ring_bytes_before, std::memory_order_relaxed);
  const uint32_t i = s.buckets[s.lookup(slot.key)];
  ctx_unlink(s, i);
  if (now > 0) ctx_push_front(s, i);
  // Past the shard's share: the least recently grown rings give up their oldest texts.
  while (per_shard_context_bytes_ > 0 && s.context_bytes > per_shard_context_bytes_ && s.ctx_tail != kNil) {
    const uint32_t t = s.ctx_tail;
    ContextRing& ring = *s.at(t).context;
    const size_t freed = ring.pop_oldest();
    s.context_bytes -= freed;
    context_bytes_.fetch_sub(freed, std::memory_order_relaxed);
    counters_.context_trimmed.fetch_add(1, std::memory_order_relaxed);
    if (ring.size() == 0) ctx_unlink(s, t);
  }
}

void ConversationTable::drop(Shard& s, uint32_t i, bool ttl, bool counted) {
  ConversationSlot& e = s.at(i);
  unlink(s, i);
  s.erase(e.key);
  if (track_deletions_) s.deleted.push_back(e.key);
  if (e.dirty) dirty_.fetch_sub(1, std::memory_order_relaxed);
  if (e.context) {
    s.context_bytes -= e.context->bytes();
    context_bytes_.fetch_sub(e.context->bytes(), std::memory_order_relaxed);
    ctx_unlink(s, i);
  }
  e.used = false;
  e.dirty = false;
  e.names.clear();
  e.names.shrink_to_fit();
  e.state.p.clear();  // gives a group's heap block back now
  e.layout_id = 0;
  e.context.reset();
  s.free.push_back(i);
  size_.fetch_sub(1, std::memory_order_relaxed);
  if (counted) (ttl ? counters_.evictions_ttl : counters_.evictions_lru).fetch_add(1, std::memory_order_relaxed);
}

ConversationSlot* ConversationTable::find(Shard& s, uint64_t key, int64_t now_ms, bool create, bool& created) {
  created = false;
  for (int k = 0; k < kTailChecks && s.tail != kNil; ++k) {
    const uint32_t t = s.tail;
    if (s.at(t).key == key || !expired(s.at(t), now_ms)) break;
    drop(s, t, true);
  }
  if (const size_t b = s.lookup(key); b != kNil) {
    const uint32_t i = s.buckets[b];
    ConversationSlot& e = s.at(i);
    if (!expired(e, now_ms)) {
      e.last_access_ms = std::max(e.last_access_ms, now_ms);
      if (s.head != i) unlink(s, i), push_front(s, i);
      return &e;
    }
    drop(s, i, true);
  }
  if (!create) return nullptr;
  while (s.live >= per_shard_cap_ && s.tail != kNil) drop(s, s.tail, false);
  uint32_t i;
  if (!s.free.empty()) {
    i = s.free.back();
    s.free.pop_back();
  } else {
    if (s.slot_count % kChunk == 0) s.chunks.push_back(std::make_unique<ConversationSlot[]>(kChunk));
    i = s.slot_count++;
  }
  ConversationSlot& e = s.at(i);
  e.state = ConversationState{};
  e.layout_id = 0;
  e.key = key;
  e.last_access_ms = now_ms;
  e.used = true;
  e.dirty = false;
  e.ctx_prev = e.ctx_next = kNil;
  if (context_messages_ > 0) e.context = std::make_unique<ContextRing>(context_messages_);
  s.insert(key, i);
  push_front(s, i);
  size_.fetch_add(1, std::memory_order_relaxed);
  created = true;
  return &e;
}

bool ConversationTable::collect(std::vector<SnapshotRow>& rows, std::vector<uint64_t>& deleted, size_t max_rows) {
  bool more = false;
  std::shared_ptr<const StageLayout> layout;  // most rows share one
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    deleted.insert(deleted.end(), s.deleted.begin(), s.deleted.end());
    s.deleted.clear();
    // Newest keys last: take from the back, so what is left stays a valid list.
    while (!s.dirty.empty()) {
      if (rows.size() >= max_rows) {
        more = true;
        break;
      }
      const uint64_t key = s.dirty.back();
      s.dirty.pop_back();
      const size_t b = s.lookup(key);
      if (b == kNil) continue;  // dropped since; its deletion is queued
      ConversationSlot& e = s.at(s.buckets[b]);
      if (!e.dirty) continue;  // listed twice (dropped and made again), already taken
      if (!layout || layout->id != e.layout_id) layout = stage_layout(e.layout_id);
      rows.push_back({e.key, e.state, e.names, e.last_access_ms, layout});
      e.dirty = false;
      dirty_.fetch_sub(1, std::memory_order_relaxed);
    }
    if (more) break;
  }
  return more;
}

void ConversationTable::requeue(const std::vector<uint64_t>& keys, const std::vector<uint64_t>& deleted) {
  for (uint64_t key : keys) {
    Shard& s = shard_of(key);
    std::lock_guard lock(s.mu);
    const size_t b = s.lookup(key);
    if (b == kNil) continue;
    ConversationSlot& e = s.at(s.buckets[b]);
    if (e.dirty) continue;  // changed again since: listed already
    e.dirty = true;
    s.dirty.push_back(key);
    dirty_.fetch_add(1, std::memory_order_relaxed);
  }
  for (uint64_t key : deleted) {
    Shard& s = shard_of(key);
    std::lock_guard lock(s.mu);
    if (s.lookup(key) == kNil) s.deleted.push_back(key);
  }
}

bool ConversationTable::restore(SnapshotRow&& row, int64_t now_ms) {
  Shard& s = shard_of(row.key);
  std::lock_guard lock(s.mu);
  if (s.live >= per_shard_cap_ || s.lookup(row.key) != kNil) return false;
  bool created = false;
  ConversationSlot* e = find(s, row.key, now_ms, true, created);
  e->state = std::move(row.state);
  e->names = std::move(row.names);
  e->layout_id = row.layout ? row.layout->id : 0;
  e->last_access_ms = row.last_access_ms;
  // Rows come newest first: each goes behind the ones before it in the LRU order.
  const uint32_t i = s.buckets[s.lookup(row.key)];
  unlink(s, i);
  push_back(s, i);
  return true;
}

void ConversationTable::sweep(int64_t now_ms) {
  for (Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    while (s.tail != kNil && expired(s.at(s.tail), now_ms)) drop(s, s.tail, true);
  }
}

bool ConversationTable::forget(uint64_t key) {
  Shard& s = shard_of(key);
  std::lock_guard lock(s.mu);
  const size_t b = s.lookup(key);
  if (b == kNil) return false;
  drop(s, s.buckets[b], false, false);
  return true;
}

size_t ConversationTable::size() const { return size_.load(std::memory_order_relaxed); }

}  // namespace vigil
