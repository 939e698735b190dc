// The tree oracle of the streaming message readers (message_json.h): what the sidecar
// did before messages_from_json_text, kept to check it against. Used by the reader's
// tests and its fuzz target (tests/fuzz/message_json_fuzz.cpp).
#pragma once

#include <string>
#include <string_view>

#include "plugin/common/json_text.h"
#include "plugin/engine/message_json.h"

namespace vigil::test {

// The tree path: what the sidecar did before the streaming reader, kept as the oracle.
// The tree is read by json_from_text, which refuses nesting deeper than kMaxJsonDepth
// as the streaming readers do.
inline Result<Message> tree_message(std::string_view text, const MessageLimits& limits) {
  Result<nlohmann::json> j = json_from_text(text);
  if (!j) return j.error();
  return message_from_json(*j, limits);
}

inline Status<> tree_batch(std::string_view text, const MessageLimits& limits, size_t max_batch, MessageBatch& out) {
  Result<nlohmann::json> parsed = json_from_text(text);
  if (!parsed) return parsed.error();
  nlohmann::json& root = *parsed;
  const nlohmann::json* items = nullptr;
  std::string prefix;
  out.shape = MessageBatch::Shape::kOne;
  if (root.is_array()) {
    out.shape = MessageBatch::Shape::kArray;
    items = &root;
  } else if (root.is_object() && root.contains("messages")) {
    out.shape = MessageBatch::Shape::kWrapped;
    for (auto it = root.begin(); it != root.end(); ++it)
      if (it.key() != "messages")
        return Error("message.unknown_field", "a batch holds only \"messages\"").for_field(clip_echo(it.key()));
    items = &root["messages"];
    if (!items->is_array())
      return Error("message.bad_type", "messages must be an array of messages").for_field("messages");
    prefix = "messages";
  } else if (!root.is_object()) {
    return Error("message.not_object", "the body must be a message object, {\"messages\": [...]} or an array");
  }
  const size_t n = items ? items->size() : 1;
  if (n > max_batch)
    return Error("request.batch_too_large",
                 std::to_string(n) + " messages is more than the limit of " + std::to_string(max_batch))
        .for_field(prefix);
  out.messages.clear();
  for (size_t i = 0; i < n; ++i) {
    Result<Message> m = message_from_json(items ? (*items)[i] : root, limits);
    if (!m) {
      Error e = std::move(m).error();
      if (items) {
        std::string where = prefix + "[" + std::to_string(i) + "]";
        e.field = e.field.empty() ? where : where + "." + e.field;
      }
      return e;
    }
    out.messages.push_back(std::move(m).value());
  }
  return {};
}

inline bool same(const Message& a, const Message& b) {
  return a.conversation_id == b.conversation_id && a.message_id == b.message_id && a.sender_id == b.sender_id &&
         a.recipient_ids == b.recipient_ids && a.ts_ms == b.ts_ms && a.text == b.text &&
         a.sender_age_band == b.sender_age_band && a.sender_account_age_days == b.sender_account_age_days &&
         a.channel == b.channel;
}

// An error as one comparable line: code, field and message.
inline std::string show(const Error& e) { return e.code + " @" + e.field + ": " + e.message; }

}  // namespace vigil::test
