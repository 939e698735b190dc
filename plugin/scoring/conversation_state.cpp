#include "plugin/scoring/conversation_state.h"

#include <cstring>

namespace vigil {
namespace {

constexpr uint8_t kEncodeVersion = 2;
constexpr uint16_t kFirstHeapCapacity = 4;

}  // namespace

ParticipantList& ParticipantList::operator=(const ParticipantList& o) {
  if (this == &o) return *this;
  std::copy(o.inline_, o.inline_ + kInlineParticipants, inline_);
  const int extra = std::max(0, o.size_ - kInlineParticipants);
  if (capacity_ < extra) {
    heap_ = std::make_unique<ParticipantState[]>(static_cast<size_t>(o.capacity_));
    capacity_ = o.capacity_;
  }
  std::copy(o.heap_.get(), o.heap_.get() + extra, heap_.get());
  size_ = o.size_;
  return *this;
}

ParticipantList& ParticipantList::operator=(ParticipantList&& o) noexcept {
  if (this == &o) return *this;
  std::copy(o.inline_, o.inline_ + kInlineParticipants, inline_);
  heap_ = std::move(o.heap_);
  size_ = o.size_;
  capacity_ = o.capacity_;
  o.size_ = o.capacity_ = 0;
  return *this;
}

int ParticipantList::push_back() {
  const int i = size_;
  if (i >= kInlineParticipants && i - kInlineParticipants >= capacity_) {
    const auto grown = static_cast<uint16_t>(capacity_ ? capacity_ * 2 : kFirstHeapCapacity);
    auto bigger = std::make_unique<ParticipantState[]>(grown);
    std::copy(heap_.get(), heap_.get() + capacity_, bigger.get());
    heap_ = std::move(bigger);
    capacity_ = grown;
  }
  ++size_;
  (*this)[i] = ParticipantState{};
  return i;
}

void ParticipantList::clear() {
  for (auto& p : inline_) p = ParticipantState{};
  heap_.reset();
  size_ = capacity_ = 0;
}

void ConversationState::encode(std::string& out) const {
  const ConversationHeader h = *this;
  const auto n = static_cast<uint16_t>(p.size());
  out.clear();
  out.reserve(1 + sizeof h + sizeof n + n * sizeof(ParticipantState));
  out.push_back(static_cast<char>(kEncodeVersion));
  out.append(reinterpret_cast<const char*>(&h), sizeof h);
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  for (int i = 0; i < n; ++i) out.append(reinterpret_cast<const char*>(&p[i]), sizeof(ParticipantState));
}

bool ConversationState::decode(std::string_view bytes) {
  ConversationHeader h;
  uint16_t n = 0;
  constexpr size_t kFixed = 1 + sizeof h + sizeof n;
  if (bytes.size() < kFixed || static_cast<uint8_t>(bytes[0]) != kEncodeVersion) return false;
  std::memcpy(&h, bytes.data() + 1, sizeof h);
  std::memcpy(&n, bytes.data() + 1 + sizeof h, sizeof n);
  if (n > kMaxParticipantsLimit || bytes.size() != kFixed + n * sizeof(ParticipantState)) return false;
  // Indexes used without further checks must be in range, whatever the file holds.
  if (h.recent_next >= kRecentIds || h.urgent_sender >= n || h.urgent_sender < -1 || h.last_suspect >= n ||
      h.last_suspect < -1)
    return false;
  ParticipantList list;
  for (int i = 0; i < n; ++i) {
    const int k = list.push_back();
    std::memcpy(&list[k], bytes.data() + kFixed + i * sizeof(ParticipantState), sizeof(ParticipantState));
  }
  static_cast<ConversationHeader&>(*this) = h;
  p = std::move(list);
  return true;
}

void ConversationState::remap_stages(const std::vector<std::string>& from, const std::vector<std::string>& to) {
  int target[kMaxStages];
  for (size_t k = 0; k < kMaxStages; ++k) {
    target[k] = -1;
    if (k >= from.size()) continue;
    for (size_t j = 0; j < to.size() && j < kMaxStages; ++j)
      if (to[j] == from[k]) target[k] = static_cast<int>(j);
  }
  for (int i = 0; i < p.size(); ++i) {
    ParticipantState& q = p[i];
    float evidence[kMaxStages] = {};
    uint8_t first_reach[kMaxStages] = {};
    for (int k = 0; k < kMaxStages; ++k)
      if (target[k] >= 0) evidence[target[k]] = q.evidence[k], first_reach[target[k]] = q.first_reach[k];
    std::copy(evidence, evidence + kMaxStages, q.evidence);
    std::copy(first_reach, first_reach + kMaxStages, q.first_reach);
  }
}

}  // namespace vigil
