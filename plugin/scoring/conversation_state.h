// ConversationState: the scorer's whole memory of one conversation, fixed-size and
// trivially copyable (no text, no pointers), so millions fit in memory and a snapshot is
// one memcpy into the store. Sender ids are kept as 64-bit hashes; the readable ids live
// beside it in the engine (see engine.cpp), not here.
//
// Layout (see BENCHMARKS.md for the measured bytes per conversation):
//   header               times, counters, the sticky urgent flag, the last verdict
//   recent[kRecentIds]   the hashes of the last message ids and their verdict summary,
//                        which answer a repeated message_id without scoring it again
//   p[kMaxParticipants]  per sender: decayed evidence per stage, first-reach ranks, the
//                        repeat counters of the rules it hit, and its age context
// Not thread-safe: the engine holds the conversation's shard lock around every access.
#pragma once

#include <cstdint>
#include <type_traits>

#include "plugin/scoring/scorer_config.h"

namespace vigil {

inline constexpr int kMaxParticipants = 4;  // senders tracked per conversation; more are not scored
inline constexpr int kRepeatSlots = 6;      // distinct rules whose repeats are counted per sender
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
  uint8_t pad = 0;

  static constexpr uint8_t kNewAccount = 1;
};

// The summary of a verdict kept for duplicates: risk in hundredths, level, suspect.
struct RecentVerdict {
  uint16_t risk_centi = 0;
  uint8_t level = 0;
  int8_t suspect = -1;  // participant index, -1 none
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
  uint64_t recent_ids[kRecentIds] = {};  // 0: empty
  RecentVerdict recent[kRecentIds] = {};
  ParticipantState p[kMaxParticipants];

  static constexpr uint8_t kUrgentSticky = 1;

  // The index of the recent verdict for `message_hash`, or -1.
  int find_recent(uint64_t message_hash) const {
    for (int i = 0; i < kRecentIds; ++i)
      if (recent_ids[i] == message_hash) return i;
    return -1;
  }
  void remember(uint64_t message_hash, RecentVerdict v) {
    recent_ids[recent_next] = message_hash;
    recent[recent_next] = v;
    recent_next = static_cast<uint8_t>((recent_next + 1) % kRecentIds);
  }
};

static_assert(std::is_trivially_copyable_v<ConversationState>);

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
