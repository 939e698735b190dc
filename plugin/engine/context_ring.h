// ContextRing: the last N messages of one conversation, text included, kept in memory
// only as context for a case and for the conversation's timeline. Never written to disk
// by the engine (unflagged conversations leave no text behind). Bounded two ways: pushing
// past capacity overwrites the oldest entry, reusing its strings' capacity, so a warm ring
// allocates nothing per message; and the ConversationTable trims rings oldest first
// (pop_oldest) to keep the bytes of every ring together under
// EngineOptions::context_max_bytes. Not thread-safe (held under the conversation's shard
// lock). Movable, not copyable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/engine/message.h"

namespace vigil {

struct ContextMessage {
  std::string message_id;
  std::string sender_id;
  std::string text;
  int64_t ts_ms = 0;
  float risk = 0;
  Level level = Level::kNone;

  // Heap bytes the entry holds (string capacities: what a trim gives back).
  size_t bytes() const { return message_id.capacity() + sender_id.capacity() + text.capacity(); }
};

class ContextRing {
 public:
  explicit ContextRing(size_t capacity) : capacity_(capacity) {}
  ContextRing(ContextRing&&) = default;
  ContextRing& operator=(ContextRing&&) = default;
  ContextRing(const ContextRing&) = delete;
  ContextRing& operator=(const ContextRing&) = delete;

  void push(const Message& m, int64_t ts_ms, double risk, Level level) {
    if (capacity_ == 0) return;
    size_t pos;
    if (count_ < capacity_) {
      pos = (head_ + count_) % capacity_;
      ++count_;
    } else {
      pos = head_;
      head_ = (head_ + 1) % capacity_;
    }
    // Used positions are contiguous from head_, so pos is at most one past the end.
    if (pos == entries_.size()) entries_.emplace_back();
    ContextMessage& e = entries_[pos];
    bytes_ -= e.bytes();
    e.message_id.assign(m.message_id);
    e.sender_id.assign(m.sender_id);
    e.text.assign(m.text);
    e.ts_ms = ts_ms;
    e.risk = static_cast<float>(risk);
    e.level = level;
    bytes_ += e.bytes();
  }

  // Drops the oldest message and frees its strings; returns the bytes given back (0 when
  // empty).
  size_t pop_oldest() {
    if (count_ == 0) return 0;
    ContextMessage& e = entries_[head_];
    const size_t freed = e.bytes();
    e = ContextMessage{};
    bytes_ -= freed;
    head_ = (head_ + 1) % capacity_;
    --count_;
    return freed;
  }

  size_t size() const { return count_; }
  // Heap bytes held by the messages' strings.
  size_t bytes() const { return bytes_; }

  // Calls f(const ContextMessage&) oldest first.
  template <class F>
  void for_each(F&& f) const {
    for (size_t i = 0; i < count_; ++i) f(entries_[(head_ + i) % capacity_]);
  }

 private:
  size_t capacity_;
  size_t head_ = 0;   // oldest message
  size_t count_ = 0;  // messages held
  size_t bytes_ = 0;
  std::vector<ContextMessage> entries_;
};

}  // namespace vigil
