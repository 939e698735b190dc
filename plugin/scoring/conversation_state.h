// ConversationState: the scorer's whole memory of one conversation, fixed-size and
// trivially copyable (no text, no pointers), so millions fit in memory and a snapshot is
// one memcpy into the store. Sender ids are kept as 64-bit hashes; the readable ids live
// beside it in the engine (see engine.cpp), not here.
//
// Layout (see BENCHMARKS.md for the measured bytes per conversation):
//   header               times, counters, the sticky urgent flag, the last verdict
//   recent[kRecentIds]   the hashes of the last message ids with their verdict summary,
//                        which answer a repeated message_id without scoring it again
//   p[kMaxParticipants]  per sender: decayed evidence per stage, first-reach ranks, the
//                        repeat counters of the rules it hit, and its age context
// Not thread-safe: the engine holds the conversation's shard lock around every access.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "plugin/scoring/scorer_config.h"

namespace vigil {

inline constexpr int kMaxParticipants = 4;  // senders tracked per conversation; more are not scored
inline constexpr int kRepeatSlots = 5;      // distinct rules whose repeats are counted per sender
inline constexpr int kRecentIds = 8;        // duplicate-detection window, in messages
inline constexpr uint8_t kNoAge = 255;

// A repeat-counter slot: the rule (a 16-bit hash of its id, stable across reloads and
// restarts) and how often this sender hit it.
struct ParticipantState {
  uint64_t id_hash = 0;                  // 0: empty slot
  float evidence[kMaxStages] = {};       // decayed to ConversationState::last_ts_ms
  uint16_t repeat_rule[kRepeatSlots] = {};
  uint8_t repeat_count[kRepeatSlots] = {};
  uint8_t first_reach[kMaxStages] = {};  // 1-based rank in which each stage was first reached; 0 never
  uint8_t min_age = kNoAge;              // smallest and largest age this sender disclosed
  uint8_t max_age = kNoAge;
  uint8_t band = 0;                      // AgeBand from the platform (last non-unknown seen)
  uint8_t flags = 0;                     // kNewAccount
  uint16_t messages = 0;                 // saturating
  uint8_t reached = 0;                   // stages reached so far (ranks handed out)

  static constexpr uint8_t kNewAccount = 1;
};

// The summary of a verdict kept for duplicates: risk in hundredths, level, suspect.
struct RecentVerdict {
  uint16_t risk_centi = 0;  // 0..10000
  uint8_t level = 0;
  int8_t suspect = -1;      // participant index, -1 none
};

struct ConversationState {
  int64_t first_ts_ms = 0;
  int64_t last_ts_ms = 0;     // evidence is decayed to this time
  uint32_t messages = 0;      // scored messages
  float last_risk = 0;
  uint8_t flags = 0;          // kUrgentSticky
  int8_t urgent_sender = -1;  // who made it urgent
  uint8_t participants = 0;   // slots in use
  uint8_t recent_next = 0;    // ring position in recent[]
  uint8_t last_level = 0;
  int8_t last_suspect = -1;
  uint8_t pad[2] = {};
  // Each entry packs 45 bits of the message id's hash with the verdict's summary
  // (14 bits of risk, 2 of level, 3 of suspect); 0: empty. A false duplicate needs a
  // 45-bit collision within the window: about 8 in 3.5e13 per message.
  uint64_t recent[kRecentIds] = {};
  ParticipantState p[kMaxParticipants];

  static constexpr uint8_t kUrgentSticky = 1;

  // The summary remembered for `message_hash`, if any.
  bool find_recent(uint64_t message_hash, RecentVerdict& out) const {
    const uint64_t tag = tag_of(message_hash);
    for (uint64_t e : recent)
      if (e && (e >> kSummaryBits) == tag) {
        out.risk_centi = static_cast<uint16_t>(e & 0x3fff);
        out.level = static_cast<uint8_t>((e >> 14) & 3);
        out.suspect = static_cast<int8_t>(static_cast<int>((e >> 16) & 7) - 1);
        return true;
      }
    return false;
  }
  void remember(uint64_t message_hash, RecentVerdict v) {
    const uint64_t summary = (std::min<uint64_t>(v.risk_centi, 10000)) | (uint64_t{v.level} & 3) << 14 |
                             (static_cast<uint64_t>(v.suspect + 1) & 7) << 16;
    recent[recent_next] = tag_of(message_hash) << kSummaryBits | summary;
    recent_next = static_cast<uint8_t>((recent_next + 1) % kRecentIds);
  }

 private:
  static constexpr int kSummaryBits = 19;
  static uint64_t tag_of(uint64_t h) {
    const uint64_t t = h >> kSummaryBits;
    return t ? t : 1;  // never 0, so a used entry is never 0
  }
};

static_assert(std::is_trivially_copyable_v<ConversationState>);
static_assert(sizeof(ParticipantState) == 72 && sizeof(ConversationState) == 384,
              "the state's size is measured in BENCHMARKS.md; bump SnapshotStore's format on any change");

// 64-bit FNV-1a with a final mix, never 0 (0 marks an empty slot).
inline uint64_t hash_id(const char* data, size_t size) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i) h = (h ^ static_cast<unsigned char>(data[i])) * 0x100000001b3ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h ? h : 1;
}

}  // namespace vigil
