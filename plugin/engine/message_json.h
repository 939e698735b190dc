// The JSON forms of Message, Verdict and ConversationInfo (API v1, server/README.md), shared by
// the sidecar, the CLI (replay, eval) and the tests. There is one message reader: it fills
// messages straight from nlohmann's SAX events, never a tree, and never throws: every
// problem is an Error naming the field. The sidecar and the CLI give the same codes for
// the same bytes (a JSONL line is read as a body of one message).
//
// Error codes of the reader (Error::field names the field, e.g. "sender.age_band"):
//   request.malformed_json      the text is not JSON (json_syntax_error)
//   request.too_deep            nesting deeper than kMaxJsonDepth
//   message.not_object          the message is not a JSON object
//   message.unknown_field       a field the API does not define
//   message.bad_type            a field of the wrong JSON type
//   message.bad_value           an enum field with a value it does not define
//                               (age_band, channel), a negative account_age_days
//   message.missing_field       a required field absent or empty
//   message.invalid_utf8        bytes that are not UTF-8 (plugin/common/utf8.h)
//   message.id_control_char     an id holding a control character (C0 incl. NUL, DEL,
//                               C1); the message names the byte
//   message.text_nul            text holding a NUL (U+0000); the message names the byte
//   message.text_too_long       text longer than MessageLimits::max_text_bytes
//   message.id_too_long         an id longer than MessageLimits::max_id_bytes
//   message.too_many_recipients more than MessageLimits::max_recipients
//   message.bad_ts              ts neither an RFC 3339 string nor epoch seconds in range
// Optional fields set to null are treated as absent. Where several fields are bad, the
// error is the one whose key sorts first (byte order); a repeated key keeps its last
// value. A field name the error echoes is clipped to kMaxEchoBytes
// (plugin/common/json_text.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugin/common/error.h"
#include "plugin/engine/conversation_info.h"
#include "plugin/engine/message.h"

namespace vigil {

// The deepest nesting of arrays and objects the readers accept (a message needs 4:
// batch, items, message, sender). Deeper text is request.too_deep; the streaming
// readers stop reading there, so 4 MiB of `[` costs a few bytes of work, not a tree.
inline constexpr size_t kMaxJsonDepth = 64;

// A body the sidecar scores: one message {...}, a batch {"messages": [...]}, or a bare
// array [...].
struct MessageBatch {
  enum class Shape : uint8_t { kOne, kWrapped, kArray };
  Shape shape = Shape::kOne;
  std::vector<Message> messages;  // in input order; its storage is reused by the next read
};

// Reads one message: {"conversation_id", "message_id", "sender_id", "text" (required),
// "recipient_ids", "ts" (RFC 3339 string or epoch seconds, may be fractional),
// "sender": {"age_band": "adult|minor|unknown", "account_age_days": N},
// "channel": "dm|group|public"}. Text that is not JSON gives json_syntax_error(text).
Result<Message> message_from_json_text(std::string_view text, const MessageLimits& limits);
// The same into out.messages[0] (out.shape kOne), reusing its storage: for readers of
// many lines (MessageStream). On error `out` holds a partial message.
Status<> message_from_json_text(std::string_view text, const MessageLimits& limits, MessageBatch& out);

// Reads any of the three shapes into `out` (reusing its messages' storage, so a caller
// that keeps `out` allocates nothing per body in steady state). Every item is validated
// as message_from_json_text does; the errors, in the order they are checked:
//   request.too_deep          nesting deeper than kMaxJsonDepth (field "")
//   json_syntax_error(text)   the text is not JSON
//   message.not_object        neither an object nor an array (field "")
//   message.unknown_field     a key beside "messages" in a batch (the first in key order)
//   message.bad_type          "messages" is not an array (field "messages")
//   request.batch_too_large   more than max_batch items (field "messages" or "";
//                             ErrorKind::kTooLarge, every other error kInvalid)
//   the first bad item's error, its field prefixed: "messages[3].text", "[3].text", and
//   "[3]" alone (message.not_object) for an item that is not an object.
// On error `out` holds partial messages.
Status<> messages_from_json_text(std::string_view text, const MessageLimits& limits, size_t max_batch,
                                 MessageBatch& out);

// For text that is not JSON: request.too_deep when it nests deeper than kMaxJsonDepth
// before the fault, message.invalid_utf8 when its bytes are not UTF-8 (the offset of the
// first bad byte in the message), else request.malformed_json with the parser's message
// (clipped); the field is the JSON path where parsing stopped ("messages[3].text"),
// clipped to kMaxEchoBytes.
Error json_syntax_error(std::string_view text);

// The request.too_deep error.
Error json_too_deep_error();

// `text` parsed into a tree, refusing nesting deeper than kMaxJsonDepth before any tree
// is built; errors as json_syntax_error. For bodies read as a tree (POST /v1/explain).
Result<nlohmann::json> json_from_text(std::string_view text);

// The verdict (server/README.md): conversation_id, message_id, risk (2 decimals), level, action,
// suspect_id and case_id (omitted when empty), stages as an object {name: evidence},
// hits [{rule, stage, start, end, (age), (shadow: true)}], rules_version, and
// "duplicate": true on a repeat.
nlohmann::json verdict_to_json(const Verdict& v);

// Appends exactly the bytes of verdict_to_json(v).dump() to `out` without building a
// tree: keys in the tree's (sorted) order, a stage named twice keeps its last value,
// doubles printed by the routine dump() uses. Strings are escaped as dump() escapes them
// (", \, \b \f \n \r \t, other control bytes as \u00xx, UTF-8 passed through); where
// dump() would throw on invalid UTF-8, each bad byte becomes U+FFFD. Allocates only
// when `out` grows. The hot path of the sidecar's replies.
void append_verdict_json(const Verdict& v, std::string& out);

// {"conversation_id", "risk", "level", "action", "suspect_id" (when set), "coercion",
//  "messages", "first_ts", "last_ts" (RFC 3339), "participants": [{"sender_id", "score",
//  "risk", "age_band", "disclosed_age" (when known), "new_account", "eligible",
//  "messages", "stages": {...}}], "timeline": [{"message_id", "sender_id", "ts", "risk",
//  "level"}], "rules_version"}
nlohmann::json conversation_to_json(const ConversationInfo& c);

// RFC 3339 UTC with milliseconds, e.g. "2026-11-28T10:15:02.000Z".
std::string format_rfc3339(int64_t epoch_ms);
// Parses RFC 3339 ("2026-11-28T10:15:02Z", fractional seconds and offsets allowed) into
// epoch milliseconds; false when malformed.
bool parse_rfc3339(std::string_view s, int64_t& epoch_ms);

}  // namespace vigil
