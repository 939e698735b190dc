// Message and Verdict: what a platform sends for each chat message and what Vigil
// answers (API v1, server/README.md). Plain data; copyable, movable. The JSON forms live in
// message_json.h, the enumerations (AgeBand, Channel, Level, Action) in
// plugin/common/types.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "plugin/common/types.h"

namespace vigil {

struct Message {
  std::string conversation_id;  // required
  std::string message_id;       // required; repeats are answered with the first verdict
  std::string sender_id;        // required
  std::vector<std::string> recipient_ids;
  int64_t ts_ms = 0;  // epoch milliseconds; 0 means "use the receive time"
  std::string text;   // required, UTF-8
  AgeBand sender_age_band = AgeBand::kUnknown;
  int32_t sender_account_age_days = -1;  // -1: unknown
  Channel channel = Channel::kUnknown;
};

// The bounds on one message, defined once: the reader (message_json.h) refuses what
// passes them, the engine refuses text past max_text_bytes (EngineOptions), and the
// sidecar's `limits:` (server/limits.h) and the C API's config extend or set them.
struct MessageLimits {
  size_t max_text_bytes = size_t{64} << 10;  // `text`; longer is message.text_too_long
  size_t max_id_bytes = 256;                 // conversation_id, message_id, sender_id, each recipient
  size_t max_recipients = 1000;              // recipient_ids per message
};

struct VerdictHit {
  std::string rule;    // rule id
  std::string stage;   // stage name or "age_signal"
  uint32_t start = 0;  // byte span in the original text
  uint32_t end = 0;
  int32_t age = -1;     // captured age for age_signal hits
  bool shadow = false;  // a shadow rule: reported, not scored
};

struct Verdict {
  std::string conversation_id;
  std::string message_id;
  double risk = 0;  // 0..100
  Level level = Level::kNone;
  Action action = Action::kAllow;
  std::string suspect_id;                              // empty below watch
  std::vector<std::pair<std::string, double>> stages;  // the suspect's evidence per stage, >0 only
  std::vector<VerdictHit> hits;
  std::string case_id;  // empty unless a case is open
  std::string rules_version;
  bool duplicate = false;  // a repeat of an already scored message_id
};

}  // namespace vigil
