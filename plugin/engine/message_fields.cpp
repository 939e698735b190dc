#include "plugin/engine/message_fields.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "plugin/common/json_text.h"
#include "plugin/common/utf8.h"

namespace vigil::message_fields {

Error field_error(const char* code, std::string message, std::string field) {
  return Error(code, std::move(message)).for_field(std::move(field));
}

namespace {

// The offset of the first control character in a valid UTF-8 id (C0, DEL, or C1, which
// is C2 80..9F), or npos.
size_t control_char(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return i;
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xA0) return i;
  }
  return std::string_view::npos;
}

}  // namespace

const char* string_problem(std::string_view s, size_t max_bytes, StringKind kind) {
  if (s.empty()) return "message.missing_field";
  if (kind == StringKind::kId && max_bytes && s.size() > max_bytes) return "message.id_too_long";
  if (!valid_utf8(s)) return "message.invalid_utf8";
  if (kind == StringKind::kId && control_char(s) != std::string_view::npos) return "message.id_control_char";
  if (kind == StringKind::kText && s.find('\0') != std::string_view::npos) return "message.text_nul";
  return nullptr;
}

Error string_error(const char* code, const std::string& field, size_t max_bytes, std::string_view s) {
  std::string_view c = code;
  if (c == "message.missing_field") return field_error(code, field + " must not be empty", field);
  if (c == "message.id_too_long")
    return field_error(code, field + " is longer than " + std::to_string(max_bytes) + " bytes", field);
  if (c == "message.id_control_char") {
    return field_error(
        code,
        field + " holds a control character (byte " + std::to_string(control_char(s)) + "); ids must be printable",
        field);
  }
  if (c == "message.text_nul") {
    return field_error(
        code, "text holds a NUL character (byte " + std::to_string(s.find('\0')) + "); nothing after it would be read",
        field);
  }
  return field_error(code, field + " is not valid UTF-8", field);
}

Error not_a_string(const std::string& field) {
  return field_error("message.bad_type", field + " must be a string", field);
}

Status<> check_string(std::string_view s, const std::string& field, size_t max_bytes, StringKind kind,
                      std::string& out) {
  if (const char* code = string_problem(s, max_bytes, kind)) return string_error(code, field, max_bytes, s);
  out.assign(s);
  return {};
}

Status<> check_text(std::string_view s, const MessageLimits& limits, std::string& out) {
  if (s.size() > limits.max_text_bytes)
    return field_error("message.text_too_long",
                       "text is longer than " + std::to_string(limits.max_text_bytes) + " bytes", "text");
  return check_string(s, "text", 0, StringKind::kText, out);
}

// Largest accepted ts: 9999-12-31, in seconds; anything later is a unit mistake.
constexpr double kMaxEpochSeconds = 253402300799.0;

Status<> ts_from_seconds(double s, int64_t& out) {
  if (!std::isfinite(s) || s < 0 || s > kMaxEpochSeconds)
    return field_error("message.bad_ts", "ts must be epoch seconds between 1970 and 9999", "ts");
  out = static_cast<int64_t>(std::llround(s * 1000.0));
  return {};
}

Status<> ts_from_string(std::string_view s, int64_t& out) {
  if (!parse_rfc3339(s, out) || out < 0)
    return field_error("message.bad_ts", "ts is not an RFC 3339 time like 2026-11-28T10:15:02Z", "ts");
  return {};
}

Error ts_type_error() {
  return field_error("message.bad_type", "ts must be an RFC 3339 string or epoch seconds", "ts");
}

Status<> age_band_from(std::string_view s, Message& m) {
  if (!from_string(s, m.sender_age_band))
    return field_error("message.bad_value", "sender.age_band must be adult, minor or unknown", "sender.age_band");
  return {};
}

Error age_band_type_error() {
  return field_error("message.bad_type", "sender.age_band must be a string", "sender.age_band");
}

// `days` as json::get<int64_t>() gives it (an unsigned above INT64_MAX wraps negative).
Status<> account_age_from(int64_t days, Message& m) {
  if (days < 0)
    return field_error("message.bad_value", "sender.account_age_days must not be negative", "sender.account_age_days");
  m.sender_account_age_days = static_cast<int32_t>(std::min<int64_t>(days, INT32_MAX));
  return {};
}

Error account_age_type_error() {
  return field_error("message.bad_type", "sender.account_age_days must be an integer", "sender.account_age_days");
}

Error unknown_sender_field(const std::string& key) {
  const std::string name = "sender." + clip_echo(key);
  return field_error("message.unknown_field", name + " is not a field of the API", name);
}

Error unknown_field(const std::string& key) {
  const std::string name = clip_echo(key);
  return field_error("message.unknown_field", name + " is not a field of the API", name);
}

Status<> channel_from(std::string_view s, Message& m) {
  // "unknown" is the absent channel's value, not one a client sends.
  if (s == to_string(Channel::kUnknown) || !from_string(s, m.channel))
    return field_error("message.bad_value", "channel must be dm, group or public", "channel");
  return {};
}

Error too_many_recipients(const MessageLimits& limits) {
  return field_error("message.too_many_recipients",
                     "recipient_ids holds more than " + std::to_string(limits.max_recipients) + " ids",
                     "recipient_ids");
}

std::string recipient_field(size_t i) { return "recipient_ids[" + std::to_string(i) + "]"; }

double round2(double x) { return std::round(x * 100.0) / 100.0; }

}  // namespace vigil::message_fields
