// ConversationState: the scorer's whole memory of one conversation (no text). Sender
// and message ids are kept as keyed 64-bit hashes (IdHasher below); the readable sender
// ids live beside it in the engine (see engine.cpp), not here.
//
// Layout (see BENCHMARKS.md for the measured bytes per conversation):
//   ConversationHeader   times, counters, the sticky urgent flag, the last verdict, and
//                        the duplicate window: the keyed hashes of the last message ids
//                        with their verdict summary, which answer a repeated message_id
//                        without scoring it again. Fixed size, trivially copyable.
//   p (ParticipantList)  per sender: decayed evidence per stage, first-reach ranks, the
//                        repeat counters of the rules it hit, and its age context. The
//                        first kInlineParticipants live in place (a two-party chat needs
//                        no heap); a group's further senders live in one heap array that
//                        grows by doubling up to ScorerConfig::max_participants. A new
//                        participant may allocate; a message from a known one never does.
// The store writes it with encode() and reads it with decode() (a versioned byte form).
// Not thread-safe: the engine holds the conversation's shard lock around every access.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "plugin/common/hash.h"
#include "plugin/scoring/scorer_config.h"

namespace vigil {

inline constexpr int kInlineParticipants = 2;  // participants held without a heap block
inline constexpr int kRepeatSlots = 5;         // distinct rules whose repeats are counted per sender
inline constexpr int kRecentIds = 8;           // duplicate-detection window, in messages
inline constexpr uint8_t kNoAge = 255;

// One participant. repeat_rule/repeat_count: a rule (a 16-bit hash of its id, stable
// across reloads and restarts) and how often this sender hit it.
struct ParticipantState {
  uint64_t id_hash = 0;             // IdHasher of the sender id; 0: empty slot
  float evidence[kMaxStages] = {};  // decayed to ConversationHeader::last_ts_ms
  uint16_t repeat_rule[kRepeatSlots] = {};
  uint8_t repeat_count[kRepeatSlots] = {};
  uint8_t first_reach[kMaxStages] = {};  // 1-based rank in which each stage was first reached; 0 never
  uint8_t min_age = kNoAge;              // smallest and largest age this sender disclosed
  uint8_t max_age = kNoAge;
  uint8_t band = 0;       // AgeBand from the platform (last non-unknown seen)
  uint8_t flags = 0;      // kNewAccount
  uint16_t messages = 0;  // saturating
  uint8_t reached = 0;    // stages reached so far (ranks handed out)

  static constexpr uint8_t kNewAccount = 1;
};
static_assert(std::is_trivially_copyable_v<ParticipantState> && sizeof(ParticipantState) == 72);

// The summary of a verdict kept for duplicates: risk in hundredths, level, suspect.
struct RecentVerdict {
  uint16_t risk_centi = 0;  // 0..10000
  uint8_t level = 0;
  int16_t suspect = -1;  // participant index, -1 none
};

// The fixed part of a conversation's state.
struct ConversationHeader {
  int64_t first_ts_ms = 0;
  int64_t last_ts_ms = 0;  // evidence is decayed to this time
  uint32_t messages = 0;   // scored messages
  float last_risk = 0;
  uint8_t flags = 0;        // kUrgentSticky
  uint8_t recent_next = 0;  // ring position in recent_id[]
  uint8_t last_level = 0;
  uint8_t pad = 0;
  int16_t urgent_sender = -1;  // who made it urgent
  int16_t last_suspect = -1;
  // The duplicate window: each message id's full 64-bit keyed hash (0: empty), and its
  // verdict's summary (14 bits of risk, 2 of level, 16 of suspect + 1). The hash is keyed
  // with a secret (IdHasher), so two ids that collide cannot be searched for offline.
  uint64_t recent_id[kRecentIds] = {};
  uint32_t recent_summary[kRecentIds] = {};

  static constexpr uint8_t kUrgentSticky = 1;

  // The summary remembered for `message_hash` (never 0), if any.
  bool find_recent(uint64_t message_hash, RecentVerdict& out) const {
    for (int k = 0; k < kRecentIds; ++k) {
      if (recent_id[k] == message_hash) {
        const uint32_t e = recent_summary[k];
        out.risk_centi = static_cast<uint16_t>(e & 0x3fff);
        out.level = static_cast<uint8_t>((e >> 14) & 3);
        out.suspect = static_cast<int16_t>(static_cast<int>(e >> 16) - 1);
        return true;
      }
    }
    return false;
  }
  void remember(uint64_t message_hash, RecentVerdict v) {
    recent_id[recent_next] = message_hash;
    recent_summary[recent_next] = static_cast<uint32_t>(std::min<uint32_t>(v.risk_centi, 10000)) |
                                  (uint32_t{v.level} & 3) << 14 |
                                  static_cast<uint32_t>(static_cast<uint16_t>(v.suspect + 1)) << 16;
    recent_next = static_cast<uint8_t>((recent_next + 1) % kRecentIds);
  }
  // Participant `i` left the table: remembered verdicts stop naming it.
  void forget_participant(int i) {
    for (int k = 0; k < kRecentIds; ++k)
      if (recent_id[k] && static_cast<int>(recent_summary[k] >> 16) - 1 == i) recent_summary[k] &= 0xffff;
    if (last_suspect == i) last_suspect = -1;
  }
};
static_assert(std::is_trivially_copyable_v<ConversationHeader> && sizeof(ConversationHeader) == 128);

// The participants of a conversation: the first kInlineParticipants in place, the rest
// in one heap array (capacity doubling, 4 at first). Deep-copying; moves steal the heap.
class ParticipantList {
 public:
  ParticipantList() = default;
  ParticipantList(const ParticipantList& o) { *this = o; }
  ParticipantList& operator=(const ParticipantList& o);
  ParticipantList(ParticipantList&& o) noexcept { *this = std::move(o); }
  ParticipantList& operator=(ParticipantList&& o) noexcept;

  int size() const { return size_; }
  ParticipantState& operator[](int i) { return i < kInlineParticipants ? inline_[i] : heap_[i - kInlineParticipants]; }
  const ParticipantState& operator[](int i) const {
    return i < kInlineParticipants ? inline_[i] : heap_[i - kInlineParticipants];
  }
  // Appends a fresh participant and returns its index (allocates when the heap part is
  // full).
  int push_back();
  void clear();
  // Heap bytes held (0 for a conversation of up to kInlineParticipants).
  size_t heap_bytes() const { return sizeof(ParticipantState) * capacity_; }

 private:
  ParticipantState inline_[kInlineParticipants];
  std::unique_ptr<ParticipantState[]> heap_;
  uint16_t size_ = 0;
  uint16_t capacity_ = 0;  // of heap_
};

struct ConversationState : ConversationHeader {
  ParticipantList p;

  int participants() const { return p.size(); }

  // The byte form the store keeps: a format byte, the header, the participant count and
  // every participant, in the stage layout the evidence is indexed by (the store keeps
  // the layout's stage names beside it). Little-endian hosts only, as SQLite files are
  // not moved between hosts of another byte order here.
  void encode(std::string& out) const;
  // Reads encode()'s form; false (state untouched) when `bytes` is not one.
  bool decode(std::string_view bytes);
  // Re-indexes every participant's evidence and first-reach ranks from stage layout
  // `from` to `to` (stage names, in order), matching stages by name: evidence follows
  // its stage through a reorder; a stage that `to` no longer has is dropped.
  void remap_stages(const std::vector<std::string>& from, const std::vector<std::string>& to);
};

}  // namespace vigil
