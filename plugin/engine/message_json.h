// The JSON forms of Message, Verdict and ConversationInfo (API v1, DESIGN.md), shared by
// the sidecar, the CLI and the tests. Parsing never throws: every problem is an Error
// naming the field.
//
// Error codes of message_from_json (Error::field names the field, e.g. "sender.age_band"):
//   message.not_object          the message is not a JSON object
//   message.unknown_field       a field the API does not define
//   message.bad_type            a field of the wrong JSON type
//   message.bad_value           an enum field with a value it does not define
//                               (age_band, channel), a negative account_age_days
//   message.missing_field       a required field absent or empty
//   message.invalid_utf8        a string that is not valid UTF-8
//   message.text_too_long       text longer than MessageLimits::max_text_bytes
//   message.id_too_long         an id longer than MessageLimits::max_id_bytes
//   message.too_many_recipients more than MessageLimits::max_recipients
//   message.bad_ts              ts neither an RFC 3339 string nor epoch seconds in range
// Optional fields set to null are treated as absent.
#pragma once

#include <cstddef>

#include <nlohmann/json.hpp>

#include "plugin/common/error.h"
#include "plugin/engine/conversation_info.h"
#include "plugin/engine/engine_stats.h"
#include "plugin/engine/message.h"

namespace vigil {

struct MessageLimits {
  size_t max_text_bytes = 64 * 1024;
  size_t max_id_bytes = 256;  // conversation_id, message_id, sender_id, each recipient
  size_t max_recipients = 64;
};

// Reads one message: {"conversation_id", "message_id", "sender_id", "text" (required),
// "recipient_ids", "ts" (RFC 3339 string or epoch seconds, may be fractional),
// "sender": {"age_band": "adult|minor|unknown", "account_age_days": N},
// "channel": "dm|group|public"}.
Result<Message> message_from_json(const nlohmann::json& j, const MessageLimits& limits);

// DESIGN.md's verdict: conversation_id, message_id, risk (2 decimals), level, action,
// suspect_id and case_id (omitted when empty), stages as an object {name: evidence},
// hits [{rule, stage, start, end, (age), (shadow: true)}], rules_version, and
// "duplicate": true on a repeat.
nlohmann::json verdict_to_json(const Verdict& v);

// {"conversation_id", "risk", "level", "action", "suspect_id" (when set), "coercion",
//  "messages", "first_ts", "last_ts" (RFC 3339), "participants": [{"sender_id", "score",
//  "risk", "age_band", "disclosed_age" (when known), "new_account", "eligible",
//  "messages", "stages": {...}}], "timeline": [{"message_id", "sender_id", "ts", "risk",
//  "level"}], "rules_version"}
nlohmann::json conversation_to_json(const ConversationInfo& c);

// {"conversations", "messages", ..., "verdicts_by_level": {"none": N, ...}}
nlohmann::json stats_to_json(const EngineStats& s);

// RFC 3339 UTC with milliseconds, e.g. "2026-11-28T10:15:02.000Z".
std::string format_rfc3339(int64_t epoch_ms);
// Parses RFC 3339 ("2026-11-28T10:15:02Z", fractional seconds and offsets allowed) into
// epoch milliseconds; false when malformed.
bool parse_rfc3339(std::string_view s, int64_t& epoch_ms);

}  // namespace vigil
