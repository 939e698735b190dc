// The message reader (message_from_json_text, messages_from_json_text): every body of a
// table gives the outcome pinned in message_json_reader_expected.txt (the message read,
// or the error's code, field and message), for one message and the batch shapes; and
// the invariants of message_json_check.h hold on the table and on many random bodies.
// After a deliberate change of behaviour, rewrite the expectations with
//   VIGIL_UPDATE_EXPECTED=1 build/tests/plugin/engine/message_json_reader_test
// and review the diff.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <random>
#include <sstream>

#include "plugin/common/json_text.h"
#include "plugin/engine/message_json.h"
#include "tests/plugin/engine/message_json_check.h"

namespace vigil {
namespace {

using namespace test;

// Concatenation by append: GCC 12 warns (-Wrestrict, a false positive) on some
// `"literal" + std::string` chains.
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (std::string_view p : parts) s += p;
  return s;
}

const MessageLimits kLimits{40, 12, 3};
constexpr size_t kMaxBatch = 3;

const std::string kGood =
    R"({"conversation_id":"c-1","message_id":"m-1","sender_id":"u-a","text":"are your parents home?"})";

// Bodies read as one message, then inside the batch shapes.
const char* const kMessages[] = {
    R"({"conversation_id":"c-1","message_id":"m-1","sender_id":"u-a","text":"hi"})",
    R"({"text":"send me a photo","sender_id":"u-b","message_id":"m-2","conversation_id":"c-2","recipient_ids":["u-a","u-c"],"ts":"2026-11-28T10:15:02.250+01:00","sender":{"age_band":"adult","account_age_days":3},"channel":"dm"})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","ts":1795860902.5})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","ts":1795860902})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","ts":18446744073709551615})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","ts":-5})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","ts":true})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","ts":"yesterday"})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","ts":null,"sender":null,"channel":null,"recipient_ids":null})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","colour":null})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","zz":1,"aa":{"b":[1,{"c":2}]}})",
    R"({"conversation_id":null,"message_id":"m","sender_id":"u","text":"x"})",
    R"({"conversation_id":"","message_id":"m","sender_id":"u","text":"x"})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":""})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u"})",
    R"({"message_id":"m","text":"x"})",
    R"({})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","text":5})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":5,"text":"x"})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","ts":"bad","channel":"smoke"})",
    R"({"channel":"dm","channel":null,"conversation_id":"c","message_id":"m","sender_id":"u","text":"x"})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"0123456789012345678901234567890123456789X"})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u-0123456789","text":"x"})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","recipient_ids":["a","b","c","d"]})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","recipient_ids":["a",5,"c","d"]})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","recipient_ids":["a",["b"]]})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","recipient_ids":["a",""]})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","recipient_ids":["a","0123456789abc"]})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","recipient_ids":{"a":1}})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","recipient_ids":["a"],"recipient_ids":[]})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","sender":{"age_band":"teen","age":12}})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","sender":{"account_age_days":-1}})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","sender":{"account_age_days":3.0}})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","sender":{"account_age_days":18446744073709551615}})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","sender":{"account_age_days":9999999999}})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","sender":{"age_band":"minor","age_band":null}})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","sender":{"age_band":["x"]}})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","sender":{"age_band":"minor"},"sender":{}})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","sender":"adult"})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","channel":7})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"don't tell anyone \u0000 \"us\" \ud83d\ude00 我十三岁"})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"\ud800"})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u\u0000v","text":"x"})",
    R"({"conversation_id":"c\n","message_id":"m","sender_id":"u","text":"x"})",
    R"({"conversation_id":"c","message_id":"m\u007f","sender_id":"u","text":"x"})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u\u0085","text":"x"})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","recipient_ids":["a","b\u0000"]})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u \u00a0 \u00e9","text":"tabs\tand\nlines are text"})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"hi\u0000garbage"})",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","":1})",
    R"({"messages":[]})",
    "{\"conversation_id\":\"c\",\"message_id\":\"m\",\"sender_id\":\"u\",\"text\":\"ab\xff\"}",
    "{\"conversation_id\":\"c\",\"message_id\":\"m\",\"sender_id\":\"u\",\"text\":"
    "\"\xed\xa0\x80\"}",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x"} x)",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":})",
    R"({"conversation_id":"c","message_id":"m")",
    R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","ts":1e400})",
    R"([])",
    R"(5)",
    R"("x")",
    R"(null)",
    "",
    "  ",
};

// Bodies read only as a batch.
const char* const kBodies[] = {
    "[]",
    "{\"messages\":[]}",
    "{\"messages\":5}",
    "{\"messages\":null}",
    "{\"messages\":{\"a\":[1]}}",
    "{\"messages\":[],\"x\":1}",
    "{\"b\":1,\"messages\":[],\"a\":[2]}",
    "{\"text\":\"hi\",\"messages\":[]}",
    "{\"messages\":[],\"\":1}",
    "{\"messages\":[5],\"messages\":[]}",
    "{\"messages\":[],\"messages\":7}",
    "[5]",
    "[[{}]]",
    "[null, {}]",
    "5",
    "true",
    "\"x\"",
    "[1,2,3,4]",
    "{\"messages\":[1,2,3,4]}",
    "{\"messages\":[{}]}",
    "[{\"conversation_id\":\"c\",\"message_id\":\"m\",\"sender_id\":\"u\",\"text\":",
    "{\"messages\":[{\"sender\":{\"age_band\":\"x\"}}]}",
    "{\"messages\":[{},{\"text\":5}]}",
};

// One line of the expectations file: bytes outside printable ASCII as \xNN, so the file
// stays plain text whatever the parser's message quotes.
std::string printable(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F && u != '\\') {
      out += c;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

std::string batch_outcome(std::string_view text, size_t max_batch, MessageBatch& reused) {
  const Status<> st = messages_from_json_text(text, kLimits, max_batch, reused);
  return show(st, reused);
}

// Every case's label and outcome, in table order.
std::vector<std::string> table_outcomes() {
  std::vector<std::string> out;
  MessageBatch reused;
  auto add = [&](const std::string& label, const std::string& outcome) {
    out.push_back(label + "\t" + printable(outcome));
  };
  for (size_t i = 0; i < std::size(kMessages); ++i) {
    const std::string text = kMessages[i];
    const std::string n = std::to_string(i);
    add("one " + n, show(message_from_json_text(text, kLimits)));
    add("body " + n, batch_outcome(text, kMaxBatch, reused));
    add("array " + n, batch_outcome(cat({"[", text, "]"}), kMaxBatch, reused));
    add("wrapped " + n, batch_outcome(cat({"{\"messages\":[", kGood, ",", text, "]}"}), kMaxBatch, reused));
  }
  for (size_t i = 0; i < std::size(kBodies); ++i)
    add("batch " + std::to_string(i), batch_outcome(kBodies[i], kMaxBatch, reused));
  const std::string three = "[" + kGood + "," + kGood + "," + kGood + "]";
  add("three max 3", batch_outcome(three, 3, reused));
  add("three max 2", batch_outcome(three, 2, reused));
  add("wrapped three max 2", batch_outcome("{\"messages\":" + three + "}", 2, reused));
  add("bad second max 2", batch_outcome("[" + kGood + ",7," + kGood + "]", 2, reused));
  add("bad second max 3", batch_outcome("[" + kGood + ",7," + kGood + "]", 3, reused));
  return out;
}

const char* const kExpectedFile = VIGIL_SOURCE_DIR "/tests/plugin/engine/message_json_reader_expected.txt";

}  // namespace

TEST_CASE("every body of the table reads to its pinned message or error", "[message_json]") {
  const std::vector<std::string> got = table_outcomes();
  if (std::getenv("VIGIL_UPDATE_EXPECTED")) {
    std::ofstream f(kExpectedFile, std::ios::binary);
    for (const std::string& line : got) f << line << "\n";
    WARN("rewrote " << kExpectedFile);
  }
  std::ifstream f(kExpectedFile, std::ios::binary);
  REQUIRE(f);
  std::vector<std::string> want;
  for (std::string line; std::getline(f, line);) want.push_back(line);
  REQUIRE(want.size() == got.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == want[i]);
}

TEST_CASE("one message and the batch shapes agree on every body of the table", "[message_json]") {
  MessageBatch reused;
  for (const char* text : kMessages) {
    INFO(text);
    CHECK(reader_invariants(text, kLimits, kMaxBatch, reused) == "");
  }
  for (const char* text : kBodies) {
    INFO(text);
    CHECK(reader_invariants(text, kLimits, kMaxBatch, reused) == "");
  }
}

TEST_CASE("the reader's invariants hold on random bodies", "[message_json]") {
  std::mt19937_64 rng(28112026);
  auto pick = [&](auto& options) { return options[rng() % std::size(options)]; };
  const char* const kKeys[] = {"conversation_id", "message_id", "sender_id", "text", "recipient_ids", "ts",
                               "sender",          "channel",    "colour",    "",     "messages",      "age_band",
                               "account_age_days"};
  const char* const kValues[] = {"\"c-1\"",
                                 "\"\"",
                                 "\"are your parents home?\"",
                                 "\"dm\"",
                                 "\"minor\"",
                                 "\"2026-11-28T10:15:02Z\"",
                                 "null",
                                 "true",
                                 "0",
                                 "-3",
                                 "7",
                                 "1.5",
                                 "18446744073709551615",
                                 "1e20",
                                 "[]",
                                 "[\"a\",\"b\"]",
                                 "[\"a\",1]",
                                 "[\"a\",\"b\",\"c\",\"d\"]",
                                 "{}",
                                 "{\"age_band\":\"adult\"}",
                                 "{\"account_age_days\":2,\"x\":[1]}",
                                 "\"0123456789abcdefghij\"",
                                 "\"a\\u0000b\"",
                                 "\"a\\u001fb\""};
  std::function<std::string(int)> object = [&](int depth) {
    std::string s = "{";
    const int n = static_cast<int>(rng() % 7);
    for (int i = 0; i < n; ++i) {
      if (i) s += ',';
      s += '"';
      s += pick(kKeys);
      s += "\":";
      s += depth < 2 && rng() % 6 == 0 ? object(depth + 1) : pick(kValues);
    }
    return s + "}";
  };
  // A message with all four required fields, then a random few more keys (repeats too).
  auto message = [&]() {
    std::string s = object(1);
    const char* req = R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"t")";
    if (rng() % 3) s = cat({req, s.size() > 2 ? "," : "", std::string_view(s).substr(1)});
    return s;
  };
  MessageBatch reused;
  std::map<std::string, int> outcomes;  // error code ("" for a message) -> count
  for (int i = 0; i < 4000; ++i) {
    std::string text;
    switch (rng() % 4) {
      case 0:
        text = message();
        break;
      case 1:
        text = object(0);
        break;
      case 2: {
        text.clear();
        text.push_back('[');
        const int n = static_cast<int>(rng() % 5);
        for (int k = 0; k < n; ++k) {
          if (k) text += ',';
          text += rng() % 8 ? message() : std::string(pick(kValues));
        }
        text += "]";
        if (rng() % 2) text = cat({"{\"messages\":", text, rng() % 5 == 0 ? ",\"x\":1}" : "}"});
        break;
      }
      default:
        text = pick(kValues);
    }
    if (rng() % 10 == 0 && !text.empty()) text.resize(rng() % text.size());  // cut short
    if (rng() % 20 == 0 && !text.empty()) text[rng() % text.size()] = '\xff';
    INFO(text);
    CHECK(reader_invariants(text, kLimits, kMaxBatch, reused) == "");
    const Result<Message> one = message_from_json_text(text, kLimits);
    ++outcomes[one.ok() ? "" : one.error().code];
  }
  // The generator must reach good messages and most error codes, or it proves little.
  CHECK(outcomes[""] > 50);
  for (const char* code :
       {"message.not_object", "message.unknown_field", "message.bad_type", "message.bad_value", "message.missing_field",
        "message.id_too_long", "message.too_many_recipients", "message.bad_ts", "message.invalid_utf8",
        "request.malformed_json", "message.id_control_char", "message.text_nul"})
    CHECK(outcomes[code] > 0);
}

TEST_CASE("control characters in ids and a NUL in text are refused, naming the field and byte", "[message_json]") {
  struct Case {
    const char* body;
    const char* code;
    const char* field;
    const char* byte;
  } cases[] = {
      {R"({"conversation_id":"c","message_id":"m","sender_id":"u\u0000v","text":"x"})", "message.id_control_char",
       "sender_id", "byte 1"},
      {R"({"conversation_id":"c\n","message_id":"m","sender_id":"u","text":"x"})", "message.id_control_char",
       "conversation_id", "byte 1"},
      {R"({"conversation_id":"c","message_id":"m\u007f","sender_id":"u","text":"x"})", "message.id_control_char",
       "message_id", "byte 1"},
      {R"({"conversation_id":"c","message_id":"m","sender_id":"ab\u009f","text":"x"})", "message.id_control_char",
       "sender_id", "byte 2"},
      {R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","recipient_ids":["a","\u0001"]})",
       "message.id_control_char", "recipient_ids[1]", "byte 0"},
      {R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"hi\u0000garbage"})", "message.text_nul",
       "text", "byte 2"},
  };
  for (const Case& k : cases) {
    INFO(k.body);
    const Result<Message> m = message_from_json_text(k.body, MessageLimits{});
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().code == k.code);
    CHECK(m.error().field == k.field);
    CHECK(m.error().message.find(k.byte) != std::string::npos);
  }
  // Printable non-ASCII ids and text with tabs and newlines stay valid.
  CHECK(message_from_json_text(R"({"conversation_id":"c","message_id":"m","sender_id":"u \u00a0 \u00e9 \u5b69",)"
                               R"("text":"tabs\tand\nlines"})",
                               MessageLimits{})
            .ok());
}

TEST_CASE("nesting deeper than kMaxJsonDepth is request.too_deep, at once and small", "[message_json]") {
  MessageBatch out;
  const std::string deep(4 << 20, '[');  // 4 MiB of '[': no tree, no path of 4 M steps
  for (const std::string& text :
       {deep, deep + "]", std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']')}) {
    const Status<> st = messages_from_json_text(text, kLimits, 3, out);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == "request.too_deep");
    CHECK(st.error().field.empty());
    CHECK(st.error().message.size() < 200);
    CHECK(json_syntax_error(text).code == "request.too_deep");
    CHECK(json_from_text(text).error().code == "request.too_deep");
    CHECK(message_from_json_text(text, kLimits).error().code == "request.too_deep");
  }
  // Inside an unknown field's value, too: skipped containers count.
  const std::string nested = R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x","zz":)" +
                             std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']') + "}";
  CHECK(message_from_json_text(nested, kLimits).error().code == "request.too_deep");
  // kMaxJsonDepth itself is fine.
  const std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  CHECK(json_from_text(ok).ok());
  CHECK(messages_from_json_text(ok, kLimits, 3, out).error().code == "message.not_object");
}

TEST_CASE("a long key is echoed clipped in the error's message and field", "[message_json]") {
  const std::string key(1 << 20, 'k');
  const std::string body = R"({"conversation_id":"c","message_id":"m","sender_id":"u","text":"x",")" + key + R"(":1})";
  const Result<Message> m = message_from_json_text(body, kLimits);
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().code == "message.unknown_field");
  CHECK(m.error().field.size() <= kMaxEchoBytes + 3);
  CHECK(m.error().message.size() < 2 * kMaxEchoBytes);
  MessageBatch out;
  const Status<> b = messages_from_json_text(R"({"messages":[],")" + key + R"(":1})", kLimits, 3, out);
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().field.size() <= kMaxEchoBytes + 3);
  const Error syntax = json_syntax_error(R"({")" + key + R"(": )");
  CHECK(syntax.code == "request.malformed_json");
  CHECK(syntax.field.size() <= kMaxEchoBytes + 3);
  CHECK(syntax.message.size() < 2 * kMaxEchoBytes);
}

}  // namespace vigil
