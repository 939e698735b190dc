#include "server/message_intake.h"

#include <chrono>
#include <vector>

#include "server/api_error.h"
#include "server/log.h"

namespace vigil::server {

namespace {

using nlohmann::json;

// Follows a failed parse to say where it stopped, as a JSON path ("messages[3].text").
// Only runs on the error path.
class PathTracker : public nlohmann::json_sax<json> {
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

void log_verdict(const Verdict& v, std::chrono::nanoseconds took) {
  json rules = json::array();
  for (const VerdictHit& h : v.hits) rules.push_back(h.rule);
  log_event(spdlog::level::info, "verdict",
            {{"conversation_id", v.conversation_id},
             {"message_id", v.message_id},
             {"verdict", to_string(v.level)},
             {"risk", v.risk},
             {"suspect_id", v.suspect_id},
             {"rules", std::move(rules)},
             {"us", std::chrono::duration_cast<std::chrono::microseconds>(took).count()}});
}

}  // namespace

Result<json> parse_json_body(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_discarded()) return j;
  PathTracker tracker;
  json::sax_parse(body, &tracker);
  const long bad = find_invalid_utf8(body);
  if (bad >= 0) {
    return Error("message.invalid_utf8", "the body is not valid UTF-8 (byte " + std::to_string(bad) + ")")
        .for_field(tracker.path());
  }
  return Error("request.malformed_json", "the body is not valid JSON: " + tracker.message()).for_field(tracker.path());
}

Response score_body(ServerContext& ctx, std::string_view body) {
  Result<json> parsed = parse_json_body(body);
  if (!parsed) return error_response(400, parsed.error());
  json& root = *parsed;

  // Which shape: one message, {"messages": [...]}, or a bare array.
  const json* items = nullptr;
  std::string prefix;
  enum class Shape { kOne, kWrapped, kArray } shape = Shape::kOne;
  if (root.is_array()) {
    shape = Shape::kArray;
    items = &root;
  } else if (root.is_object() && root.contains("messages")) {
    shape = Shape::kWrapped;
    for (auto it = root.begin(); it != root.end(); ++it) {
      if (it.key() != "messages") {
        return error_response(400, Error("message.unknown_field", "a batch holds only \"messages\"").for_field(it.key()));
      }
    }
    items = &root["messages"];
    if (!items->is_array()) {
      return error_response(400, Error("message.bad_type", "messages must be an array of messages").for_field("messages"));
    }
    prefix = "messages";
  } else if (!root.is_object()) {
    return error_response(400, Error("message.not_object", "the body must be a message object, {\"messages\": [...]} or an array"));
  }

  const size_t n = items ? items->size() : 1;
  if (n > ctx.config.limits.max_batch) {
    return error_response(413, Error("request.batch_too_large", std::to_string(n) + " messages is more than the limit of " +
                                                          std::to_string(ctx.config.limits.max_batch))
                         .for_field(prefix));
  }

  // Validate everything before scoring anything.
  std::vector<Message> messages;
  messages.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Result<Message> m = message_from_json(items ? (*items)[i] : root, ctx.message_limits);
    if (!m) {
      Error e = std::move(m).error();
      if (items) {
        std::string where = prefix + "[" + std::to_string(i) + "]";
        e.field = e.field.empty() ? where : where + "." + e.field;
      }
      return error_response(400, e);
    }
    messages.push_back(std::move(m).value());
  }

  json verdicts = json::array();
  const bool log_flagged = log_enabled(spdlog::level::info);
  for (size_t i = 0; i < n; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    Result<Verdict> v = ctx.engine->process(messages[i]);
    if (!v) {
      Error e = std::move(v).error();
      if (items) e.field = prefix + "[" + std::to_string(i) + "]" + (e.field.empty() ? "" : "." + e.field);
      return error_response(e.code.rfind("message.", 0) == 0 ? 400 : 503, e);
    }
    ctx.metrics.verdict(*v);
    if (log_flagged && v->level != Level::kNone && !v->duplicate) {
      log_verdict(*v, std::chrono::steady_clock::now() - t0);
    }
    if (shape == Shape::kOne) {
      Response r;
      r.body = verdict_to_json(*v).dump();
      return r;
    }
    verdicts.push_back(verdict_to_json(*v));
  }
  Response r;
  r.body = shape == Shape::kWrapped ? json{{"verdicts", std::move(verdicts)}}.dump() : verdicts.dump();
  return r;
}

}  // namespace vigil::server
