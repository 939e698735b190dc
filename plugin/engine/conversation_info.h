// ConversationInfo: what Vigil knows about one conversation right now, for
// GET /v1/conversations/{id} and `vigil replay --explain`: the current risk and level,
// the suspect, each participant's stage profile and context, and the recent verdicts.
// A snapshot taken under the conversation's shard lock by Engine::conversation(); plain
// data, copyable, movable. JSON form: conversation_to_json() in message_json.h.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "plugin/engine/message.h"

namespace vigil {

// One participant of a conversation, as the scorer sees them.
struct ParticipantInfo {
  std::string sender_id;                               // empty when unknown (e.g. restored from an old snapshot)
  double score = 0;                                    // the scorer's raw score for this sender
  double risk = 0;                                     // 100·(1 − e^(−score/scale)), 0..100
  AgeBand age_band = AgeBand::kUnknown;                // the platform's band, else from a disclosed age
  int32_t disclosed_age = -1;                          // last age this sender disclosed, -1 when none
  bool new_account = false;                            // account younger than the scorer's threshold
  bool eligible = true;                                // false: a platform minor while another participant is not one
  uint32_t messages = 0;                               // messages scored from this sender (saturates at 65535)
  std::vector<std::pair<std::string, double>> stages;  // decayed evidence per stage, >0 only
};

// One recent verdict of the conversation (the in-memory context ring; empty after a
// restart until new messages arrive).
struct TimelinePoint {
  std::string message_id;
  std::string sender_id;
  int64_t ts_ms = 0;
  double risk = 0;
  Level level = Level::kNone;
};

struct ConversationInfo {
  std::string conversation_id;
  double risk = 0;  // the conversation's current risk, 0..100
  Level level = Level::kNone;
  Action action = Action::kAllow;
  std::string suspect_id;  // empty below watch
  bool coercion = false;   // unambiguous coercion was seen: urgent for good
  uint64_t messages = 0;   // messages scored in this conversation
  int64_t first_ts_ms = 0;
  int64_t last_ts_ms = 0;
  std::vector<ParticipantInfo> participants;
  std::vector<TimelinePoint> timeline;  // oldest first, at most EngineOptions::context_messages
  std::string rules_version;
};

}  // namespace vigil
