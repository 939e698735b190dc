#include "plugin/engine/message_json.h"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <climits>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string_view>

#include "plugin/normalize/normalizer.h"

namespace vigil {
namespace {

using nlohmann::json;

// The length of the strict UTF-8 sequence at p (no overlongs, no surrogates, nothing
// past U+10FFFF), 0 when it is not one. Kept here rather than borrowed from the
// normaliser: the API rejects what the normaliser would repair.
int utf8_sequence(const unsigned char* p, const unsigned char* end) {
  unsigned c = *p;
  if (c < 0x80) return 1;
  int n;
  unsigned min;
  if ((c & 0xE0) == 0xC0) n = 1, min = 0x80, c &= 0x1F;
  else if ((c & 0xF0) == 0xE0) n = 2, min = 0x800, c &= 0x0F;
  else if ((c & 0xF8) == 0xF0) n = 3, min = 0x10000, c &= 0x07;
  else return 0;
  if (end - p <= n) return 0;
  for (int i = 1; i <= n; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    c = (c << 6) | (p[i] & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  return n + 1;
}

bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const int n = utf8_sequence(p, end);
    if (n == 0) return false;
    p += n;
  }
  return true;
}

// Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's algorithm.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

Error field_error(const char* code, std::string message, std::string field) {
  return Error(code, std::move(message)).for_field(std::move(field));
}

// The checks below take plain values so the tree reader (message_from_json) and the
// streaming reader (MessageSax) share every rule and every error text.

// What is wrong with a string field's value, or nullptr; `max_bytes` 0 means no id limit
// (text has its own).
const char* string_problem(std::string_view s, size_t max_bytes, bool required) {
  if (required && s.empty()) return "message.missing_field";
  if (max_bytes && s.size() > max_bytes) return "message.id_too_long";
  if (!valid_utf8(s)) return "message.invalid_utf8";
  return nullptr;
}

Error string_error(const char* code, const std::string& field, size_t max_bytes) {
  std::string_view c = code;
  if (c == "message.missing_field") return field_error(code, field + " must not be empty", field);
  if (c == "message.id_too_long")
    return field_error(code, field + " is longer than " + std::to_string(max_bytes) + " bytes", field);
  return field_error(code, field + " is not valid UTF-8", field);
}

Error not_a_string(const std::string& field) {
  return field_error("message.bad_type", field + " must be a string", field);
}

Status<> check_string(std::string_view s, const std::string& field, size_t max_bytes, std::string& out) {
  if (const char* code = string_problem(s, max_bytes, true)) return string_error(code, field, max_bytes);
  out.assign(s);
  return {};
}

Status<> check_text(std::string_view s, const MessageLimits& limits, std::string& out) {
  if (s.size() > limits.max_text_bytes)
    return field_error("message.text_too_long",
                       "text is longer than " + std::to_string(limits.max_text_bytes) + " bytes", "text");
  return check_string(s, "text", 0, out);
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
  if (s == "adult") m.sender_age_band = AgeBand::kAdult;
  else if (s == "minor") m.sender_age_band = AgeBand::kMinor;
  else if (s == "unknown") m.sender_age_band = AgeBand::kUnknown;
  else
    return field_error("message.bad_value", "sender.age_band must be adult, minor or unknown", "sender.age_band");
  return {};
}

Error age_band_type_error() {
  return field_error("message.bad_type", "sender.age_band must be a string", "sender.age_band");
}

// `days` as json::get<int64_t>() gives it (an unsigned above INT64_MAX wraps negative).
Status<> account_age_from(int64_t days, Message& m) {
  if (days < 0)
    return field_error("message.bad_value", "sender.account_age_days must not be negative",
                       "sender.account_age_days");
  m.sender_account_age_days = static_cast<int32_t>(std::min<int64_t>(days, INT32_MAX));
  return {};
}

Error account_age_type_error() {
  return field_error("message.bad_type", "sender.account_age_days must be an integer", "sender.account_age_days");
}

Error unknown_sender_field(const std::string& key) {
  return field_error("message.unknown_field", "sender." + key + " is not a field of the API", "sender." + key);
}

Error unknown_field(const std::string& key) {
  return field_error("message.unknown_field", key + " is not a field of the API", key);
}

Status<> channel_from(std::string_view s, Message& m) {
  if (s == "dm") m.channel = Channel::kDm;
  else if (s == "group") m.channel = Channel::kGroup;
  else if (s == "public") m.channel = Channel::kPublic;
  else return field_error("message.bad_value", "channel must be dm, group or public", "channel");
  return {};
}

Error too_many_recipients(const MessageLimits& limits) {
  return field_error("message.too_many_recipients",
                     "recipient_ids holds more than " + std::to_string(limits.max_recipients) + " ids",
                     "recipient_ids");
}

std::string recipient_field(size_t i) { return "recipient_ids[" + std::to_string(i) + "]"; }

// --- The tree reader -----------------------------------------------------------------

Status<> read_string(const json& v, const std::string& field, size_t max_bytes, std::string& out) {
  if (!v.is_string()) return not_a_string(field);
  return check_string(v.get_ref<const std::string&>(), field, max_bytes, out);
}

Status<> read_ts(const json& v, int64_t& out) {
  if (v.is_number()) return ts_from_seconds(v.get<double>(), out);
  if (!v.is_string()) return ts_type_error();
  return ts_from_string(v.get_ref<const std::string&>(), out);
}

Status<> read_sender(const json& v, Message& m) {
  if (!v.is_object()) return field_error("message.bad_type", "sender must be an object", "sender");
  for (const auto& [key, value] : v.items()) {
    Status<> st;
    if (key == "age_band") {
      if (value.is_null()) continue;
      st = value.is_string() ? age_band_from(value.get_ref<const std::string&>(), m) : age_band_type_error();
    } else if (key == "account_age_days") {
      if (value.is_null()) continue;
      st = value.is_number_integer() ? account_age_from(value.get<int64_t>(), m) : account_age_type_error();
    } else {
      st = unknown_sender_field(key);
    }
    if (!st) return st;
  }
  return {};
}

Status<> read_channel(const json& v, Message& m) {
  if (!v.is_string()) return not_a_string("channel");
  return channel_from(v.get_ref<const std::string&>(), m);
}

Status<> read_recipients(const json& v, const MessageLimits& limits, Message& m) {
  if (!v.is_array()) return field_error("message.bad_type", "recipient_ids must be an array", "recipient_ids");
  if (v.size() > limits.max_recipients) return too_many_recipients(limits);
  m.recipient_ids.resize(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) return not_a_string(recipient_field(i));
    const auto& s = v[i].get_ref<const std::string&>();
    if (const char* code = string_problem(s, limits.max_id_bytes, true))
      return string_error(code, recipient_field(i), limits.max_id_bytes);
    m.recipient_ids[i] = s;
  }
  return {};
}

double round2(double x) { return std::round(x * 100.0) / 100.0; }

json stages_json(const std::vector<std::pair<std::string, double>>& stages) {
  json o = json::object();
  for (const auto& [name, value] : stages) o[name] = round2(value);
  return o;
}


// --- The verdict writer: dump()'s bytes without the tree --------------------------------

void append_json_string(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  const auto* run = p;  // start of the bytes not yet copied
  while (p < end) {
    const unsigned c = *p;
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++p;
      continue;
    }
    if (c >= 0x80) {
      const int n = utf8_sequence(p, end);
      if (n > 0) {
        p += n;
        continue;
      }
    }
    out.append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
          out.append(esc, sizeof esc);
        } else {
          out += "\xEF\xBF\xBD";  // a byte that starts no valid sequence: U+FFFD
        }
    }
    run = ++p;
  }
  out.append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
  out += '"';
}

// dump()'s number formatting: its own Grisu2 (shortest round trip, "1.0" for integral
// values, exponents past 1e15), called directly so the bytes agree by construction.
void append_double(double x, std::string& out) {
  if (!std::isfinite(x)) {
    out += "null";
    return;
  }
  char buf[64];
  const char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, x);
  out.append(buf, static_cast<size_t>(end - buf));
}

// One JSON object being written; members go in the order the caller gives, which must
// be the byte order of the keys to match dump(). Keys are literals needing no escaping.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;
  ~ObjectWriter() { out_ += '}'; }

  // `"key":`, after a comma unless it is the first member; the value is the caller's.
  std::string& key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += k;
    out_ += "\":";
    return out_;
  }
  void string(std::string_view k, std::string_view v) { append_json_string(v, key(k)); }
  void number(std::string_view k, double v) { append_double(v, key(k)); }
  template <class Int>
  void integer(std::string_view k, Int v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    key(k).append(buf, static_cast<size_t>(r.ptr - buf));
  }
  void yes(std::string_view k) { key(k) += "true"; }

 private:
  std::string& out_;
  bool first_ = true;
};

void append_stages(const std::vector<std::pair<std::string, double>>& stages, std::string& out) {
  // The tree is a std::map: names in byte order, a repeated name keeps its last value.
  // A handful of stages: insertion into a stack array, a vector only past 32.
  using Stage = std::pair<std::string, double>;
  const Stage* small[32];
  std::vector<const Stage*> large;
  const Stage** sorted = small;
  if (stages.size() > std::size(small)) {
    large.resize(stages.size());
    sorted = large.data();
  }
  size_t n = 0;
  for (const Stage& s : stages) {
    size_t i = 0;
    while (i < n && sorted[i]->first < s.first) ++i;
    if (i < n && sorted[i]->first == s.first) {
      sorted[i] = &s;
      continue;
    }
    for (size_t k = n; k > i; --k) sorted[k] = sorted[k - 1];
    sorted[i] = &s;
    ++n;
  }
  out += '{';
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ',';
    append_json_string(sorted[i]->first, out);
    out += ':';
    append_double(round2(sorted[i]->second), out);
  }
  out += '}';
}

void append_hit(const VerdictHit& h, std::string& out) {
  ObjectWriter o(out);
  if (h.age >= 0) o.integer("age", h.age);
  o.integer("end", h.end);
  o.string("rule", h.rule);
  if (h.shadow) o.yes("shadow");
  o.string("stage", h.stage);
  o.integer("start", h.start);
}

// --- The streaming reader -------------------------------------------------------------

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
    return true;
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
    return true;
  }
  bool end_array() override {
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    message_ = e.what();
    return false;
  }

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
  kChannel, kConversationId, kMessageId, kRecipientIds, kSender, kSenderId, kText, kTs, kFieldCount,
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
    if (skip_) return ++skip_, true;
    return value(Kind::kObject);
  }
  bool start_array(std::size_t) override {
    if (skip_) return ++skip_, true;
    return value(Kind::kArray);
  }
  bool key(string_t& k) override;
  bool end_object() override { return end(); }
  bool end_array() override { return end(); }
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
  size_t skip_ = 0;  // > 0: inside a skipped container, this deep
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
    case Ctx::kMessage: message_value(kind); break;
    case Ctx::kSender: sender_value(kind); break;
    case Ctx::kRecipients: recipient_value(kind); break;
    case Ctx::kItems: item_value(kind); break;
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
    case kChannel: m.channel = Channel::kUnknown; break;
    case kConversationId: m.conversation_id.clear(); break;
    case kMessageId: m.message_id.clear(); break;
    case kRecipientIds: m.recipient_ids.clear(); break;
    case kSender: m.sender_age_band = AgeBand::kUnknown, m.sender_account_age_days = -1; break;
    case kSenderId: m.sender_id.clear(); break;
    case kText: m.text.clear(); break;
    case kTs: m.ts_ms = 0; break;
    default: break;
  }
  return true;
}

void MessageSax::message_value(Kind kind) {
  MessageState& st = *cur_;
  Status<> r;
  auto id = [&](std::string& out) {
    const std::string_view name = kFieldNames[st.field];
    if (kind != Kind::kString) return Status<>(not_a_string(std::string(name)));
    if (const char* code = string_problem(*string_, limits_.max_id_bytes, true))
      return Status<>(string_error(code, std::string(name), limits_.max_id_bytes));
    out.assign(*string_);
    return Status<>();
  };
  switch (st.field) {
    case kIgnore: break;
    case kMessages:
      if (kind == Kind::kArray) {
        push(Ctx::kItems);
        return;
      }
      messages_not_array_ = true;
      break;
    case kConversationId: r = id(st.m->conversation_id); break;
    case kMessageId: r = id(st.m->message_id); break;
    case kSenderId: r = id(st.m->sender_id); break;
    case kText: r = kind == Kind::kString ? check_text(*string_, limits_, st.m->text) : not_a_string("text"); break;
    case kRecipientIds:
      if (kind == Kind::kArray) {
        recipients_ = 0, recipient_error_.reset();
        push(Ctx::kRecipients);
        return;
      }
      if (kind != Kind::kNull)
        r = field_error("message.bad_type", "recipient_ids must be an array", "recipient_ids");
      break;
    case kTs:
      if (kind == Kind::kInteger || kind == Kind::kFloat) r = ts_from_seconds(number_, st.m->ts_ms);
      else if (kind == Kind::kString) r = ts_from_string(*string_, st.m->ts_ms);
      else if (kind != Kind::kNull) r = ts_type_error();
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
      if (kind == Kind::kString) r = channel_from(*string_, *st.m);
      else if (kind != Kind::kNull) r = not_a_string("channel");
      break;
    default: break;
  }
  if (!r) note(st.errors, kFieldNames[st.field], r.error());
  skip(kind);
}

void MessageSax::sender_value(Kind kind) {
  Message& m = *cur_->m;
  Status<> r;
  switch (sender_field_) {
    case SenderField::kAgeBand:
      if (kind == Kind::kString) r = age_band_from(*string_, m);
      else if (kind != Kind::kNull) r = age_band_type_error();
      if (!r) note(sender_errors_, "age_band", r.error());
      break;
    case SenderField::kAccountAge:
      if (kind == Kind::kInteger) r = account_age_from(integer_, m);
      else if (kind != Kind::kNull) r = account_age_type_error();
      if (!r) note(sender_errors_, "account_age_days", r.error());
      break;
    case SenderField::kUnknown: break;
  }
  skip(kind);
}

void MessageSax::recipient_value(Kind kind) {
  // The tree reader checks the count first and the ids only within the limit.
  const size_t i = recipients_++;
  if (i < limits_.max_recipients && !recipient_error_) {
    if (kind != Kind::kString) {
      recipient_error_ = not_a_string(recipient_field(i));
    } else if (const char* code = string_problem(*string_, limits_.max_id_bytes, true)) {
      recipient_error_ = string_error(code, recipient_field(i), limits_.max_id_bytes);
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
    if (recipients_ > limits_.max_recipients) note(cur_->errors, "recipient_ids", too_many_recipients(limits_));
    else if (recipient_error_) note(cur_->errors, "recipient_ids", std::move(*recipient_error_));
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
        .for_field(prefix);
  }
  if (item_error_) return std::move(*item_error_);
  out_.messages.resize(items_);
  return {};
}

Status<> MessageSax::finish(std::string_view text, bool parsed) {
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
      return Error("message.unknown_field", "a batch holds only \"messages\"").for_field(std::string(first));
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

bool parse_rfc3339(std::string_view s, int64_t& epoch_ms) {
  // YYYY-MM-DD[T ]hh:mm:ss[.frac](Z|±hh:mm)
  auto digits = [&](size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, se;
  if (!digits(0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(5, 2, mo) || s[7] != '-' ||
      !digits(8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(11, 2, h) ||
      s[13] != ':' || !digits(14, 2, mi) || s[16] != ':' || !digits(17, 2, se))
    return false;
  static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDaysIn[mo - 1] || h > 23 || mi > 59 || se > 60) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return false;
  size_t pos = 19;
  int ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int scale = 100, n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos, ++n;
    }
    if (n == 0) return false;
  }
  int offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(pos + 4, 2, om) ||
        oh > 23 || om > 59)
      return false;
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != s.size()) return false;
  const int64_t secs = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                       h * 3600 + mi * 60 + std::min(se, 59) - offset_min * 60;
  epoch_ms = secs * 1000 + ms;
  return true;
}

std::string format_rfc3339(int64_t epoch_ms) {
  int64_t secs = epoch_ms >= 0 ? epoch_ms / 1000 : (epoch_ms - 999) / 1000;
  const int ms = static_cast<int>(epoch_ms - secs * 1000);
  const auto t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

Result<Message> message_from_json(const json& j, const MessageLimits& limits) {
  if (!j.is_object()) return Error("message.not_object", "a message must be a JSON object");
  Message m;
  bool have_conv = false, have_id = false, have_sender = false, have_text = false;
  for (const auto& [key, value] : j.items()) {
    Status<> st;
    if (key == "conversation_id") {
      st = read_string(value, key, limits.max_id_bytes, m.conversation_id), have_conv = true;
    } else if (key == "message_id") {
      st = read_string(value, key, limits.max_id_bytes, m.message_id), have_id = true;
    } else if (key == "sender_id") {
      st = read_string(value, key, limits.max_id_bytes, m.sender_id), have_sender = true;
    } else if (key == "text") {
      have_text = true;
      st = value.is_string() ? check_text(value.get_ref<const std::string&>(), limits, m.text) : not_a_string(key);
    } else if (value.is_null()) {
      if (key != "recipient_ids" && key != "ts" && key != "sender" && key != "channel") st = unknown_field(key);
    } else if (key == "recipient_ids") {
      st = read_recipients(value, limits, m);
    } else if (key == "ts") {
      st = read_ts(value, m.ts_ms);
    } else if (key == "sender") {
      st = read_sender(value, m);
    } else if (key == "channel") {
      st = read_channel(value, m);
    } else {
      st = unknown_field(key);
    }
    if (!st) return st.error();
  }
  if (!have_conv) return field_error("message.missing_field", "conversation_id is required", "conversation_id");
  if (!have_id) return field_error("message.missing_field", "message_id is required", "message_id");
  if (!have_sender) return field_error("message.missing_field", "sender_id is required", "sender_id");
  if (!have_text) return field_error("message.missing_field", "text is required", "text");
  return m;
}

json verdict_to_json(const Verdict& v) {
  json j = {{"conversation_id", v.conversation_id},
            {"message_id", v.message_id},
            {"risk", round2(v.risk)},
            {"level", to_string(v.level)},
            {"action", to_string(v.action)}};
  if (!v.suspect_id.empty()) j["suspect_id"] = v.suspect_id;
  j["stages"] = stages_json(v.stages);
  json hits = json::array();
  for (const auto& h : v.hits) {
    json hj = {{"rule", h.rule}, {"stage", h.stage}, {"start", h.start}, {"end", h.end}};
    if (h.age >= 0) hj["age"] = h.age;
    if (h.shadow) hj["shadow"] = true;
    hits.push_back(std::move(hj));
  }
  j["hits"] = std::move(hits);
  if (!v.case_id.empty()) j["case_id"] = v.case_id;
  j["rules_version"] = v.rules_version;
  if (v.duplicate) j["duplicate"] = true;
  return j;
}

void append_verdict_json(const Verdict& v, std::string& out) {
  // Keys in byte order, as the tree (a std::map) dumps them.
  ObjectWriter o(out);
  o.string("action", to_string(v.action));
  if (!v.case_id.empty()) o.string("case_id", v.case_id);
  o.string("conversation_id", v.conversation_id);
  if (v.duplicate) o.yes("duplicate");
  std::string& hits = o.key("hits");
  hits += '[';
  for (size_t i = 0; i < v.hits.size(); ++i) {
    if (i) hits += ',';
    append_hit(v.hits[i], hits);
  }
  hits += ']';
  o.string("level", to_string(v.level));
  o.string("message_id", v.message_id);
  o.number("risk", round2(v.risk));
  o.string("rules_version", v.rules_version);
  append_stages(v.stages, o.key("stages"));
  if (!v.suspect_id.empty()) o.string("suspect_id", v.suspect_id);
}

json conversation_to_json(const ConversationInfo& c) {
  json j = {{"conversation_id", c.conversation_id},
            {"risk", round2(c.risk)},
            {"level", to_string(c.level)},
            {"action", to_string(c.action)}};
  if (!c.suspect_id.empty()) j["suspect_id"] = c.suspect_id;
  j["coercion"] = c.coercion;
  j["messages"] = c.messages;
  j["first_ts"] = format_rfc3339(c.first_ts_ms);
  j["last_ts"] = format_rfc3339(c.last_ts_ms);
  json parts = json::array();
  for (const auto& p : c.participants) {
    json pj = {{"sender_id", p.sender_id}, {"score", round2(p.score)}, {"risk", round2(p.risk)},
               {"age_band", to_string(p.age_band)}};
    if (p.disclosed_age >= 0) pj["disclosed_age"] = p.disclosed_age;
    pj["new_account"] = p.new_account;
    pj["eligible"] = p.eligible;
    pj["messages"] = p.messages;
    pj["stages"] = stages_json(p.stages);
    parts.push_back(std::move(pj));
  }
  j["participants"] = std::move(parts);
  json timeline = json::array();
  for (const auto& t : c.timeline)
    timeline.push_back({{"message_id", t.message_id}, {"sender_id", t.sender_id},
                        {"ts", format_rfc3339(t.ts_ms)}, {"risk", round2(t.risk)},
                        {"level", to_string(t.level)}});
  j["timeline"] = std::move(timeline);
  j["rules_version"] = c.rules_version;
  return j;
}

json stats_to_json(const EngineStats& s) {
  json levels = json::object();
  for (int i = 0; i < 4; ++i) levels[to_string(static_cast<Level>(i))] = s.verdicts_by_level[i];
  return {{"conversations", s.conversations},
          {"messages", s.messages},
          {"duplicates", s.duplicates},
          {"rejected", s.rejected},
          {"evictions_lru", s.evictions_lru},
          {"evictions_ttl", s.evictions_ttl},
          {"participants_overflow", s.participants_overflow},
          {"flushes", s.flushes},
          {"flushed_conversations", s.flushed_conversations},
          {"flush_failures", s.flush_failures},
          {"restored_conversations", s.restored_conversations},
          {"rule_reloads", s.rule_reloads},
          {"rule_reload_failures", s.rule_reload_failures},
          {"verdicts_by_level", std::move(levels)}};
}

Error json_syntax_error(std::string_view text) {
  PathTracker tracker;
  json::sax_parse(text, &tracker);
  const long bad = find_invalid_utf8(text);
  if (bad >= 0) {
    return Error("message.invalid_utf8", "the body is not valid UTF-8 (byte " + std::to_string(bad) + ")")
        .for_field(tracker.path());
  }
  return Error("request.malformed_json", "the body is not valid JSON: " + tracker.message()).for_field(tracker.path());
}

Result<Message> message_from_json_text(std::string_view text, const MessageLimits& limits) {
  MessageBatch one;
  Status<> st = read_json_text(text, limits, 0, false, one);
  if (!st) return st.error();
  return std::move(one.messages[0]);
}

Status<> messages_from_json_text(std::string_view text, const MessageLimits& limits, size_t max_batch,
                                 MessageBatch& out) {
  return read_json_text(text, limits, max_batch, true, out);
}

}  // namespace vigil
