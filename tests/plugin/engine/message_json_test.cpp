// message_json: every error code of the message reader with its field, timestamps, and
// the verdict and conversation shapes of server/README.md.
#include <catch2/catch.hpp>

#include "plugin/engine/message_json.h"

namespace vigil {
namespace {

using nlohmann::json;

json base() { return {{"conversation_id", "c-1"}, {"message_id", "m-1"}, {"sender_id", "u-1"}, {"text", "hi"}}; }

Result<Message> read(const json& j, MessageLimits limits = {}) { return message_from_json_text(j.dump(), limits); }

void expect_text_error(std::string_view text, const char* code, const char* field, MessageLimits limits = {}) {
  auto r = message_from_json_text(text, limits);
  INFO(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == code);
  CHECK(r.error().field == field);
}

void expect_error(const json& j, const char* code, const char* field, MessageLimits limits = {}) {
  expect_text_error(j.dump(), code, field, limits);
}

}  // namespace

TEST_CASE("a full message parses") {
  json j = base();
  j["recipient_ids"] = {"u-2", "u-3"};
  j["ts"] = "2026-11-28T10:15:02Z";
  j["sender"] = {{"age_band", "minor"}, {"account_age_days", 3}};
  j["channel"] = "dm";
  auto r = read(j);
  REQUIRE(r.ok());
  CHECK(r->conversation_id == "c-1");
  CHECK(r->recipient_ids.size() == 2);
  CHECK(r->ts_ms == 1'795'860'902'000);
  CHECK(r->sender_age_band == AgeBand::kMinor);
  CHECK(r->sender_account_age_days == 3);
  CHECK(r->channel == Channel::kDm);
}

TEST_CASE("ts is RFC 3339 or epoch seconds") {
  int64_t ms = 0;
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z", ms));
  CHECK(ms == 0);
  CHECK(parse_rfc3339("2026-11-28T10:15:02.250+01:00", ms));
  CHECK(ms == 1'795'860'902'000 - 3'600'000 + 250);
  CHECK_FALSE(parse_rfc3339("2026-02-30T00:00:00Z", ms));
  CHECK_FALSE(parse_rfc3339("2026-11-28 10:15", ms));
  CHECK_FALSE(parse_rfc3339("2026-11-28T10:15:02", ms));
  json j = base();
  j["ts"] = 1'795'860'902.5;
  CHECK(read(j)->ts_ms == 1'795'860'902'500);
  CHECK(format_rfc3339(1'795'860'902'250) == "2026-11-28T10:15:02.250Z");
}

TEST_CASE("every bad field is an error that names it") {
  json j = base();
  j.erase("text");
  expect_error(j, "message.missing_field", "text");
  j = base();
  j["conversation_id"] = "";
  expect_error(j, "message.missing_field", "conversation_id");
  j = base();
  j["colour"] = "red";
  expect_error(j, "message.unknown_field", "colour");
  j = base();
  j["sender"] = {{"age", 12}};
  expect_error(j, "message.unknown_field", "sender.age");
  j = base();
  j["message_id"] = 7;
  expect_error(j, "message.bad_type", "message_id");
  j = base();
  j["sender"] = {{"age_band", "teen"}};
  expect_error(j, "message.bad_value", "sender.age_band");
  j = base();
  j["sender"] = {{"account_age_days", "new"}};
  expect_error(j, "message.bad_type", "sender.account_age_days");
  j = base();
  j["channel"] = "smoke-signal";
  expect_error(j, "message.bad_value", "channel");
  const std::string head = R"({"conversation_id":"c-1","message_id":"m-1","sender_id":"u-1","text":")";
  expect_text_error(head + "ab\xff\"}", "message.invalid_utf8", "text");
  expect_text_error(head + "\xed\xa0\x80\"}", "message.invalid_utf8", "text");  // a UTF-16 surrogate
  j = base();
  j["text"] = std::string(11, 'a');
  expect_error(j, "message.text_too_long", "text", MessageLimits{10, 256, 64});
  j = base();
  j["sender_id"] = std::string(300, 'u');
  expect_error(j, "message.id_too_long", "sender_id");
  j = base();
  j["recipient_ids"] = json::array({"a", 5});
  expect_error(j, "message.bad_type", "recipient_ids[1]");
  j = base();
  j["recipient_ids"] = json::array({"a", "b", "c"});
  expect_error(j, "message.too_many_recipients", "recipient_ids", MessageLimits{100, 10, 2});
  j = base();
  j["ts"] = "yesterday";
  expect_error(j, "message.bad_ts", "ts");
  j = base();
  j["ts"] = -5;
  expect_error(j, "message.bad_ts", "ts");
  j = base();
  j["ts"] = true;
  expect_error(j, "message.bad_type", "ts");
  CHECK(read(json::array()).error().code == "message.not_object");
}

TEST_CASE("optional fields set to null are absent") {
  json j = base();
  j["ts"] = nullptr;
  j["sender"] = nullptr;
  auto r = read(j);
  REQUIRE(r.ok());
  CHECK(r->ts_ms == 0);
}

TEST_CASE("the verdict has the documented shape") {
  Verdict v;
  v.conversation_id.assign("c-1");
  v.message_id.assign("m-1");
  v.risk = 71.4449;
  v.level = Level::kReview;
  v.action = Action::kHold;
  v.stages = {{"isolation", 1.8}, {"secrecy", 1.0}};
  v.hits.push_back({"en.secrecy.dont_tell", "secrecy", 0, 14, -1, false});
  v.rules_version = "abc";
  json j = verdict_to_json(v);
  CHECK(j["risk"] == 71.44);
  CHECK(j["level"] == "review");
  CHECK(j["action"] == "hold");
  CHECK_FALSE(j.contains("suspect_id"));
  CHECK_FALSE(j.contains("case_id"));
  CHECK_FALSE(j.contains("duplicate"));
  CHECK(j["stages"]["isolation"] == 1.8);
  CHECK(j["hits"][0] == json({{"rule", "en.secrecy.dont_tell"}, {"stage", "secrecy"}, {"start", 0}, {"end", 14}}));
  v.suspect_id = "u-4";
  v.duplicate = true;
  j = verdict_to_json(v);
  CHECK(j["suspect_id"] == "u-4");
  CHECK(j["duplicate"] == true);
}

}  // namespace vigil
