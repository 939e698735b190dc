// The streaming reader of message_json.h (message_from_json_text, messages_from_json_text)
// and json_syntax_error: messages straight from SAX events, no tree.
#include "plugin/engine/message_json.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <string_view>
#include <vector>

#include "plugin/common/json_text.h"
#include "plugin/common/utf8.h"
#include "plugin/engine/message_fields.h"

namespace vigil {
namespace {

using nlohmann::json;
using namespace message_fields;

// Follows a failed parse to say where it stopped, as a JSON path ("messages[3].text").
// Only runs on the error path.
class PathTracker final : public nlohmann::json_sax<json> {
 public:
  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override {
    value();
    stack_.push_back({false, 0, {}});
    return stack_.size() <= kMaxJsonDepth;
  }
  bool key(string_t& k) override {
    stack_.back().key = k;
    return true;
  }
  bool end_object() override {
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    value();
    stack_.push_back({true, 0, {}});
    return stack_.size() <= kMaxJsonDepth;
  }
  bool end_array() override {
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    message_ = e.what();
    return false;
  }

  // Parsing stopped at a container deeper than kMaxJsonDepth, not at a syntax error.
  bool too_deep() const { return stack_.size() > kMaxJsonDepth; }
  // The path of the value being read when parsing failed.
  std::string path() const {
    std::string out;
    for (size_t i = 0; i < stack_.size(); ++i) {
      const Frame& f = stack_[i];
      if (f.array) {
        // The innermost array failed on its next element; outer ones are inside the
        // element they last started.
        const size_t index = i + 1 == stack_.size() ? f.count : f.count - 1;
        out += '[';
        out += std::to_string(index);
        out += ']';
      } else if (!f.key.empty()) {
        if (!out.empty()) out += '.';
        out += f.key;
      }
    }
    return out;
  }
  const std::string& message() const { return message_; }

 private:
  struct Frame {
    bool array;
    size_t count;
    std::string key;
  };
  bool value() {
    if (!stack_.empty() && stack_.back().array) ++stack_.back().count;
    return true;
  }
  std::vector<Frame> stack_;
  std::string message_;
};

// The fields of a message in the byte order of their names. The tree reader meets them
// in this order (nlohmann's object is a std::map that keeps the last of repeated keys),
// so its error is the one whose key sorts first; the streaming reader keeps every
// error by key and picks the same one.
enum Field : int8_t {
  kChannel,
  kConversationId,
  kMessageId,
  kRecipientIds,
  kSender,
  kSenderId,
  kText,
  kTs,
  kFieldCount,
  kIgnore = -1,    // an unknown key (its error is already noted), or a wrapper's stray key
  kMessages = -2,  // "messages" of a {"messages": [...]} body
};
constexpr std::string_view kFieldNames[kFieldCount] = {"channel", "conversation_id", "message_id", "recipient_ids",
                                                       "sender",  "sender_id",       "text",       "ts"};

Field field_of(std::string_view key) {
  for (int f = 0; f < kFieldCount; ++f)
    if (kFieldNames[f] == key) return static_cast<Field>(f);
  return kIgnore;
}

struct KeyedError {
  std::string key;
  Error error;
};

// Notes `e` under `key`; a key met again first forgets its old error (forget()).
void note(std::vector<KeyedError>& errors, std::string_view key, Error e) {
  errors.push_back({std::string(key), std::move(e)});
}
void forget(std::vector<KeyedError>& errors, std::string_view key) {
  std::erase_if(errors, [&](const KeyedError& k) { return k.key == key; });
}
const KeyedError* first_by_key(const std::vector<KeyedError>& errors) {
  const KeyedError* best = nullptr;
  for (const KeyedError& k : errors)
    if (!best || k.key < best->key) best = &k;
  return best;
}

void reset_message(Message& m) {
  m.conversation_id.clear();
  m.message_id.clear();
  m.sender_id.clear();
  m.recipient_ids.clear();
  m.ts_ms = 0;
  m.text.clear();
  m.sender_age_band = AgeBand::kUnknown;
  m.sender_account_age_days = -1;
  m.channel = Channel::kUnknown;
}

Error not_object() { return Error("message.not_object", "a message must be a JSON object"); }

Error batch_not_object() {
  return Error("message.not_object", "the body must be a message object, {\"messages\": [...]} or an array");
}

// Fills a MessageBatch from SAX events with the tree reader's rules (see Field for the
// order of errors). It never stops early on a bad value: a syntax error later in the
// text must still win, as it does when the whole text is parsed first. Nested values
// nobody reads (an unknown field's, a wrong-typed one's) are skipped by depth.
class MessageSax final : public nlohmann::json_sax<json> {
 public:
  MessageSax(const MessageLimits& limits, size_t max_batch, bool batch, MessageBatch& out)
      : limits_(limits), max_batch_(max_batch), batch_(batch), out_(out) {}

  bool null() override { return value(Kind::kNull); }
  bool boolean(bool) override { return value(Kind::kOther); }
  bool number_integer(number_integer_t v) override {
    number_ = static_cast<double>(v), integer_ = v;
    return value(Kind::kInteger);
  }
  bool number_unsigned(number_unsigned_t v) override {
    number_ = static_cast<double>(v), integer_ = static_cast<int64_t>(v);  // as get<int64_t>() does
    return value(Kind::kInteger);
  }
  bool number_float(number_float_t v, const string_t&) override {
    number_ = v;
    return value(Kind::kFloat);
  }
  bool string(string_t& s) override {
    string_ = &s;
    return value(Kind::kString);
  }
  bool binary(binary_t&) override { return value(Kind::kOther); }
  bool start_object(std::size_t) override {
    if (++nesting_ > kMaxJsonDepth) return false;
    if (skip_) return ++skip_, true;
    return value(Kind::kObject);
  }
  bool start_array(std::size_t) override {
    if (++nesting_ > kMaxJsonDepth) return false;
    if (skip_) return ++skip_, true;
    return value(Kind::kArray);
  }
  bool key(string_t& k) override;
  bool end_object() override { return --nesting_, end(); }
  bool end_array() override { return --nesting_, end(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

  // The result once sax_parse returned `parsed`.
  Status<> finish(std::string_view text, bool parsed);

 private:
  enum class Kind : uint8_t { kNull, kString, kInteger, kFloat, kObject, kArray, kOther };
  enum class Ctx : uint8_t { kMessage, kSender, kRecipients, kItems };
  enum class SenderField : uint8_t { kAgeBand, kAccountAge, kUnknown };
  struct MessageState {
    Message* m = nullptr;
    bool have[kFieldCount] = {};
    std::vector<KeyedError> errors;
    Field field = kIgnore;
  };

  bool value(Kind kind);
  void message_value(Kind kind);
  void sender_value(Kind kind);
  void recipient_value(Kind kind);
  void item_value(Kind kind);
  bool end();
  void push(Ctx c) { stack_[depth_++] = c; }
  // A container no one reads: skip to its end.
  void skip(Kind kind) {
    if (kind == Kind::kObject || kind == Kind::kArray) skip_ = 1;
  }
  void begin_message(MessageState& st, size_t index);
  std::optional<Error> message_error(const MessageState& st) const;
  Status<> batch_result(const char* prefix);
  bool at_root_message() const { return depth_ == 1 && cur_ == &root_; }

  const MessageLimits& limits_;
  const size_t max_batch_;
  const bool batch_;  // the three body shapes; else one message only
  MessageBatch& out_;

  // The value being delivered.
  std::string* string_ = nullptr;
  double number_ = 0;
  int64_t integer_ = 0;

  Ctx stack_[4];  // at most root message, items, item message, sender
  size_t depth_ = 0;
  size_t skip_ = 0;     // > 0: inside a skipped container, this deep
  size_t nesting_ = 0;  // open containers, read or skipped; past kMaxJsonDepth the parse stops
  Kind root_kind_ = Kind::kNull;

  MessageState root_, item_;
  MessageState* cur_ = &root_;

  SenderField sender_field_ = SenderField::kUnknown;
  std::vector<KeyedError> sender_errors_;
  size_t recipients_ = 0;
  std::optional<Error> recipient_error_;

  bool wrapped_ = false;             // the root object has "messages"
  bool messages_not_array_ = false;  // ... and it is not an array
  size_t items_ = 0;
  std::optional<Error> item_error_;  // the first bad item, its field prefixed
};

bool MessageSax::value(Kind kind) {
  if (skip_) return true;
  if (depth_ == 0) {
    root_kind_ = kind;
    if (kind == Kind::kObject) {
      begin_message(root_, 0);
      push(Ctx::kMessage);
    } else if (kind == Kind::kArray && batch_) {
      out_.shape = MessageBatch::Shape::kArray;
      push(Ctx::kItems);
    } else {
      skip(kind);
    }
    return true;
  }
  switch (stack_[depth_ - 1]) {
    case Ctx::kMessage:
      message_value(kind);
      break;
    case Ctx::kSender:
      sender_value(kind);
      break;
    case Ctx::kRecipients:
      recipient_value(kind);
      break;
    case Ctx::kItems:
      item_value(kind);
      break;
  }
  return true;
}

bool MessageSax::key(string_t& k) {
  if (skip_) return true;
  if (stack_[depth_ - 1] == Ctx::kSender) {
    forget(sender_errors_, k);
    Message& m = *cur_->m;
    if (k == "age_band") {
      sender_field_ = SenderField::kAgeBand, m.sender_age_band = AgeBand::kUnknown;
    } else if (k == "account_age_days") {
      sender_field_ = SenderField::kAccountAge, m.sender_account_age_days = -1;
    } else {
      sender_field_ = SenderField::kUnknown;
      note(sender_errors_, k, unknown_sender_field(k));
    }
    return true;
  }
  // A message's key. A repeated key replaces the earlier value, as in the tree.
  MessageState& st = *cur_;
  if (batch_ && at_root_message() && k == "messages") {
    wrapped_ = true, messages_not_array_ = false, items_ = 0, item_error_.reset();
    st.field = kMessages;
    return true;
  }
  const Field f = field_of(k);
  if (f == kIgnore) {
    note(st.errors, k, unknown_field(k));
  } else {
    st.have[f] = true;
  }
  if (wrapped_ && at_root_message()) {
    st.field = kIgnore;  // only its name matters now
    return true;
  }
  st.field = f;
  if (f == kIgnore) return true;
  forget(st.errors, k);
  Message& m = *st.m;
  switch (f) {
    case kChannel:
      m.channel = Channel::kUnknown;
      break;
    case kConversationId:
      m.conversation_id.clear();
      break;
    case kMessageId:
      m.message_id.clear();
      break;
    case kRecipientIds:
      m.recipient_ids.clear();
      break;
    case kSender:
      m.sender_age_band = AgeBand::kUnknown, m.sender_account_age_days = -1;
      break;
    case kSenderId:
      m.sender_id.clear();
      break;
    case kText:
      m.text.clear();
      break;
    case kTs:
      m.ts_ms = 0;
      break;
    default:
      break;
  }
  return true;
}

void MessageSax::message_value(Kind kind) {
  MessageState& st = *cur_;
  Status<> r;
  auto id = [&](std::string& out) {
    const std::string_view name = kFieldNames[st.field];
    if (kind != Kind::kString) return Status<>(not_a_string(std::string(name)));
    if (const char* code = string_problem(*string_, limits_.max_id_bytes, StringKind::kId))
      return Status<>(string_error(code, std::string(name), limits_.max_id_bytes, *string_));
    out.assign(*string_);
    return Status<>();
  };
  switch (st.field) {
    case kIgnore:
      break;
    case kMessages:
      if (kind == Kind::kArray) {
        push(Ctx::kItems);
        return;
      }
      messages_not_array_ = true;
      break;
    case kConversationId:
      r = id(st.m->conversation_id);
      break;
    case kMessageId:
      r = id(st.m->message_id);
      break;
    case kSenderId:
      r = id(st.m->sender_id);
      break;
    case kText:
      r = kind == Kind::kString ? check_text(*string_, limits_, st.m->text) : not_a_string("text");
      break;
    case kRecipientIds:
      if (kind == Kind::kArray) {
        recipients_ = 0, recipient_error_.reset();
        push(Ctx::kRecipients);
        return;
      }
      if (kind != Kind::kNull) r = field_error("message.bad_type", "recipient_ids must be an array", "recipient_ids");
      break;
    case kTs:
      if (kind == Kind::kInteger || kind == Kind::kFloat)
        r = ts_from_seconds(number_, st.m->ts_ms);
      else if (kind == Kind::kString)
        r = ts_from_string(*string_, st.m->ts_ms);
      else if (kind != Kind::kNull)
        r = ts_type_error();
      break;
    case kSender:
      if (kind == Kind::kObject) {
        sender_errors_.clear();
        push(Ctx::kSender);
        return;
      }
      if (kind != Kind::kNull) r = field_error("message.bad_type", "sender must be an object", "sender");
      break;
    case kChannel:
      if (kind == Kind::kString)
        r = channel_from(*string_, *st.m);
      else if (kind != Kind::kNull)
        r = not_a_string("channel");
      break;
    default:
      break;
  }
  if (!r) note(st.errors, kFieldNames[st.field], r.error());
  skip(kind);
}

void MessageSax::sender_value(Kind kind) {
  Message& m = *cur_->m;
  Status<> r;
  switch (sender_field_) {
    case SenderField::kAgeBand:
      if (kind == Kind::kString)
        r = age_band_from(*string_, m);
      else if (kind != Kind::kNull)
        r = age_band_type_error();
      if (!r) note(sender_errors_, "age_band", r.error());
      break;
    case SenderField::kAccountAge:
      if (kind == Kind::kInteger)
        r = account_age_from(integer_, m);
      else if (kind != Kind::kNull)
        r = account_age_type_error();
      if (!r) note(sender_errors_, "account_age_days", r.error());
      break;
    case SenderField::kUnknown:
      break;
  }
  skip(kind);
}

void MessageSax::recipient_value(Kind kind) {
  // The tree reader checks the count first and the ids only within the limit.
  const size_t i = recipients_++;
  if (i < limits_.max_recipients && !recipient_error_) {
    if (kind != Kind::kString) {
      recipient_error_ = not_a_string(recipient_field(i));
    } else if (const char* code = string_problem(*string_, limits_.max_id_bytes, StringKind::kId)) {
      recipient_error_ = string_error(code, recipient_field(i), limits_.max_id_bytes, *string_);
    } else {
      cur_->m->recipient_ids.emplace_back(*string_);
    }
  }
  skip(kind);
}

void MessageSax::item_value(Kind kind) {
  // Items past max_batch are not read: the batch is refused whole anyway, as it is
  // after the first bad item.
  const size_t i = items_++;
  if (i >= max_batch_ || item_error_) return skip(kind);
  if (kind != Kind::kObject) {
    item_error_ = not_object().for_field((wrapped_ ? "messages[" : "[") + std::to_string(i) + "]");
    return skip(kind);
  }
  begin_message(item_, i);
  cur_ = &item_;
  push(Ctx::kMessage);
}

bool MessageSax::end() {
  if (skip_) return --skip_, true;
  const Ctx c = stack_[--depth_];
  if (c == Ctx::kSender) {
    if (const KeyedError* e = first_by_key(sender_errors_)) note(cur_->errors, "sender", e->error);
  } else if (c == Ctx::kRecipients) {
    if (recipients_ > limits_.max_recipients)
      note(cur_->errors, "recipient_ids", too_many_recipients(limits_));
    else if (recipient_error_)
      note(cur_->errors, "recipient_ids", std::move(*recipient_error_));
  } else if (c == Ctx::kMessage && cur_ == &item_) {
    if (std::optional<Error> e = message_error(item_)) {
      const std::string where = (wrapped_ ? "messages[" : "[") + std::to_string(items_ - 1) + "]";
      e->field = e->field.empty() ? where : where + "." + e->field;
      item_error_ = std::move(*e);
    }
    cur_ = &root_;
  }
  return true;
}

void MessageSax::begin_message(MessageState& st, size_t index) {
  if (out_.messages.size() <= index) out_.messages.resize(index + 1);
  st.m = &out_.messages[index];
  reset_message(*st.m);
  std::fill(std::begin(st.have), std::end(st.have), false);
  st.errors.clear();
  st.field = kIgnore;
}

std::optional<Error> MessageSax::message_error(const MessageState& st) const {
  if (const KeyedError* e = first_by_key(st.errors)) return e->error;
  if (!st.have[kConversationId])
    return field_error("message.missing_field", "conversation_id is required", "conversation_id");
  if (!st.have[kMessageId]) return field_error("message.missing_field", "message_id is required", "message_id");
  if (!st.have[kSenderId]) return field_error("message.missing_field", "sender_id is required", "sender_id");
  if (!st.have[kText]) return field_error("message.missing_field", "text is required", "text");
  return std::nullopt;
}

Status<> MessageSax::batch_result(const char* prefix) {
  if (items_ > max_batch_) {
    return Error("request.batch_too_large",
                 std::to_string(items_) + " messages is more than the limit of " + std::to_string(max_batch_))
        .for_field(prefix)
        .as(ErrorKind::kTooLarge);
  }
  if (item_error_) return std::move(*item_error_);
  out_.messages.resize(items_);
  return {};
}

Status<> MessageSax::finish(std::string_view text, bool parsed) {
  if (nesting_ > kMaxJsonDepth) return json_too_deep_error();
  if (!parsed) return json_syntax_error(text);
  if (root_kind_ == Kind::kArray && batch_) return batch_result("");
  if (root_kind_ != Kind::kObject) {
    return batch_ ? batch_not_object() : not_object();
  }
  if (wrapped_) {
    out_.shape = MessageBatch::Shape::kWrapped;
    // Any other key refuses the wrapper; the tree reader names the first in key order.
    std::string_view first;
    for (int f = 0; f < kFieldCount; ++f)
      if (root_.have[f] && (first.empty() || kFieldNames[f] < first)) first = kFieldNames[f];
    if (const KeyedError* e = first_by_key(root_.errors); e && (first.empty() || e->key < first)) first = e->key;
    if (!first.empty() || !root_.errors.empty())
      return Error("message.unknown_field", "a batch holds only \"messages\"").for_field(clip_echo(first));
    if (messages_not_array_)
      return Error("message.bad_type", "messages must be an array of messages").for_field("messages");
    return batch_result("messages");
  }
  out_.shape = MessageBatch::Shape::kOne;
  if (std::optional<Error> e = message_error(root_)) return std::move(*e);
  out_.messages.resize(1);
  return {};
}

Status<> read_json_text(std::string_view text, const MessageLimits& limits, size_t max_batch, bool batch,
                        MessageBatch& out) {
  out.shape = MessageBatch::Shape::kOne;
  MessageSax sax(limits, max_batch, batch, out);
  const bool parsed = json::sax_parse(text, &sax);
  return sax.finish(text, parsed);
}

}  // namespace

Error json_too_deep_error() {
  return Error("request.too_deep",
               "the body nests arrays and objects deeper than " + std::to_string(kMaxJsonDepth) + " levels");
}

Error json_syntax_error(std::string_view text) {
  PathTracker tracker;
  json::sax_parse(text, &tracker);
  if (tracker.too_deep()) return json_too_deep_error();
  const long bad = find_invalid_utf8(text);
  if (bad >= 0) {
    return Error("message.invalid_utf8", "the body is not valid UTF-8 (byte " + std::to_string(bad) + ")")
        .for_field(clip_echo(tracker.path()));
  }
  return Error("request.malformed_json", "the body is not valid JSON: " + clip_echo(tracker.message()))
      .for_field(clip_echo(tracker.path()));
}

Result<json> json_from_text(std::string_view text) {
  // A first pass bounds the depth (and finds the fault) without building anything.
  PathTracker tracker;
  if (!json::sax_parse(text, &tracker)) return json_syntax_error(text);
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return json_syntax_error(text);
  return j;
}

Result<Message> message_from_json_text(std::string_view text, const MessageLimits& limits) {
  MessageBatch one;
  Status<> st = read_json_text(text, limits, 0, false, one);
  if (!st) return st.error();
  return std::move(one.messages[0]);
}

Status<> message_from_json_text(std::string_view text, const MessageLimits& limits, MessageBatch& out) {
  return read_json_text(text, limits, 0, false, out);
}

Status<> messages_from_json_text(std::string_view text, const MessageLimits& limits, size_t max_batch,
                                 MessageBatch& out) {
  return read_json_text(text, limits, max_batch, true, out);
}

}  // namespace vigil
