// Internal to the JSON reader and writers of message_json.h (message_json.cpp,
// message_sax_reader.cpp, verdict_writer.cpp); nothing else should include it.
//
// The reader's checks on plain values, one function per field rule with its error text;
// both writers share the rounding. All functions are pure apart from their
// out-parameters and safe to call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "plugin/common/error.h"
#include "plugin/engine/message.h"
#include "plugin/engine/message_json.h"

namespace vigil::message_fields {

// An Error with `code` and `message` naming `field`.
Error field_error(const char* code, std::string message, std::string field);

// An id (conversation_id, message_id, sender_id, a recipient id) or a message's text.
enum class StringKind : uint8_t { kId, kText };

// What is wrong with a string field's value, or nullptr. Both must be non-empty UTF-8.
// An id must also fit max_bytes and hold no control character (C0, DEL, C1): a NUL or a
// newline in an id could shift how ids are stored or shown. Text must hold no NUL: the
// normaliser would see only the text before it. (Text's length is check_text's.)
const char* string_problem(std::string_view s, size_t max_bytes, StringKind kind);
// The Error for a code string_problem returned for `s`.
Error string_error(const char* code, const std::string& field, size_t max_bytes, std::string_view s);
Error not_a_string(const std::string& field);
// A required string into `out`.
Status<> check_string(std::string_view s, const std::string& field, size_t max_bytes, StringKind kind,
                      std::string& out);
Status<> check_text(std::string_view s, const MessageLimits& limits, std::string& out);

// ts as epoch seconds or an RFC 3339 string, into epoch milliseconds.
Status<> ts_from_seconds(double s, int64_t& out);
Status<> ts_from_string(std::string_view s, int64_t& out);
Error ts_type_error();

Status<> age_band_from(std::string_view s, Message& m);
Error age_band_type_error();
// `days` as json::get<int64_t>() gives it (an unsigned above INT64_MAX wraps negative).
Status<> account_age_from(int64_t days, Message& m);
Error account_age_type_error();
// Both name the key clipped to kMaxEchoBytes (plugin/common/json_text.h).
Error unknown_sender_field(const std::string& key);
Error unknown_field(const std::string& key);
Status<> channel_from(std::string_view s, Message& m);
Error too_many_recipients(const MessageLimits& limits);
// "recipient_ids[i]".
std::string recipient_field(size_t i);

// Risk and stage values as both writers print them: two decimals.
double round2(double x);

}  // namespace vigil::message_fields
