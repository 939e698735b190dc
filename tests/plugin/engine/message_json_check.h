// What the message reader (message_json.h) must keep true for any bytes, shared by its
// tests and its fuzz target (tests/fuzz/message_json_fuzz.cpp):
//   - one message and a batch of it agree: `[text]` and `{"messages":[text]}` read the
//     same message as `text`, or its error with the field prefixed ("[0].text");
//   - a batch read into storage reused from earlier reads gives what a fresh one gives.
// The expected outcome of each case is pinned separately (message_json_reader_test.cpp).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "plugin/engine/message_json.h"

namespace vigil::test {

inline bool same(const Message& a, const Message& b) {
  return a.conversation_id == b.conversation_id && a.message_id == b.message_id && a.sender_id == b.sender_id &&
         a.recipient_ids == b.recipient_ids && a.ts_ms == b.ts_ms && a.text == b.text &&
         a.sender_age_band == b.sender_age_band && a.sender_account_age_days == b.sender_account_age_days &&
         a.channel == b.channel;
}

// An error as one comparable line: code, field and message.
inline std::string show(const Error& e) { return e.code + " @" + e.field + ": " + e.message; }

// A message as one comparable line, every field; strings JSON-quoted (bad bytes as U+FFFD).
inline std::string show(const Message& m) {
  const auto q = [](const std::string& s) {
    return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  std::string out = "ok " + q(m.conversation_id) + " " + q(m.message_id) + " " + q(m.sender_id) + " [";
  for (size_t i = 0; i < m.recipient_ids.size(); ++i) out += (i ? "," : "") + q(m.recipient_ids[i]);
  out += "] ts=" + std::to_string(m.ts_ms) + " band=" + std::to_string(static_cast<int>(m.sender_age_band)) +
         " days=" + std::to_string(m.sender_account_age_days) +
         " channel=" + std::to_string(static_cast<int>(m.channel)) + " text=" + q(m.text);
  return out;
}

inline std::string show(const Result<Message>& r) { return r.ok() ? show(*r) : show(r.error()); }

inline std::string show(const Status<>& st, const MessageBatch& b) {
  if (!st.ok()) return show(st.error());
  std::string out = "shape=" + std::to_string(static_cast<int>(b.shape)) + " n=" + std::to_string(b.messages.size());
  for (const Message& m : b.messages) out += " | " + show(m);
  return out;
}

// Whether `e` is about the body as a whole (not JSON, too deep), not about one field.
inline bool body_error(const Error& e) { return e.code.starts_with("request.") || e.message.starts_with("the body"); }

// The invariants above for `text`; returns "" when they hold, else what broke. `reused`
// carries messages from earlier reads, as the sidecar's per-thread batch does.
inline std::string reader_invariants(std::string_view text, const MessageLimits& limits, size_t max_batch,
                                     MessageBatch& reused) {
  const Result<Message> one = message_from_json_text(text, limits);
  MessageBatch fresh;
  const Status<> a = messages_from_json_text(text, limits, max_batch, fresh);
  const Status<> b = messages_from_json_text(text, limits, max_batch, reused);
  if (show(a, fresh) != show(b, reused)) return "reused storage: " + show(a, fresh) + " vs " + show(b, reused);
  // A bare message object reads as one message; the batch shapes differ only for objects
  // holding "messages" and for arrays.
  if (a.ok() && fresh.shape == MessageBatch::Shape::kOne &&
      (!one.ok() || fresh.messages.size() != 1 || !same(*one, fresh.messages[0])))
    return "one message vs batch of one: " + show(one) + " vs " + show(a, fresh);
  if (max_batch == 0) return "";
  for (const bool wrapped : {false, true}) {
    const std::string body = wrapped ? "{\"messages\":[" + std::string(text) + "]}" : "[" + std::string(text) + "]";
    const std::string prefix = wrapped ? "messages[0]" : "[0]";
    MessageBatch batch;
    const Status<> st = messages_from_json_text(body, limits, max_batch, batch);
    if (one.ok()) {
      if (!st.ok() || batch.messages.size() != 1 || !same(*one, batch.messages[0]))
        return "in a batch: " + show(one) + " vs " + show(st, batch);
    } else if (st.ok()) {
      // Trailing text after a value can close the array: `{..}] [` is not one message.
      if (!body_error(one.error())) return "in a batch: " + show(one) + " vs ok";
    } else if (const std::string& at = st.error().field; at != prefix && !at.starts_with(prefix + ".")) {
      // Text that closes the array (`1, "\xff"`) makes several items: not one message's read.
    } else if (!body_error(one.error())) {
      Error want = one.error();
      want.field = want.field.empty() ? prefix : prefix + "." + want.field;
      if (show(want) != show(st.error())) return "in a batch: " + show(want) + " vs " + show(st.error());
    }
  }
  return "";
}

}  // namespace vigil::test
