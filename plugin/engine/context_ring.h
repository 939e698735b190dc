// ContextRing: the last N messages of one conversation, text included, kept in memory
// only as context for a case and for the conversation's timeline. Never written to disk
// by the engine (unflagged conversations leave no text behind). Bounded: pushing past
// capacity overwrites the oldest entry, reusing its strings' capacity, so a warm ring
// allocates nothing per message. Not thread-safe (held under the conversation's shard
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
    if (entries_.size() < capacity_) entries_.emplace_back();
    ContextMessage& e = entries_[next_];
    e.message_id.assign(m.message_id);
    e.sender_id.assign(m.sender_id);
    e.text.assign(m.text);
    e.ts_ms = ts_ms;
    e.risk = static_cast<float>(risk);
    e.level = level;
    next_ = (next_ + 1) % capacity_;
  }

  size_t size() const { return entries_.size(); }

  // Calls f(const ContextMessage&) oldest first.
  template <class F>
  void for_each(F&& f) const {
    const size_t n = entries_.size();
    const size_t start = n < capacity_ ? 0 : next_;
    for (size_t i = 0; i < n; ++i) f(entries_[(start + i) % n]);
  }

 private:
  size_t capacity_;
  size_t next_ = 0;
  std::vector<ContextMessage> entries_;
};

}  // namespace vigil
