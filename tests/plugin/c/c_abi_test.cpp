// The C ABI (plugin/c/vigil.h) as a C caller sees it: config errors, NULL arguments,
// malformed JSON and invalid UTF-8 answered with statuses and the sidecar's error body,
// many threads on one engine agreeing with one thread, reload, and state that survives
// vigil_engine_free + vigil_engine_new. Scores come from the shipped ./rules.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "plugin/c/vigil.h"
#include "tests/plugin/engine/engine_test_support.h"

namespace {

using vigil::test::TempDir;

// Writes a config holding the shipped rules, the tests' shared compiled-rules cache and
// `extra` lines, and returns its path.
std::string write_config(const TempDir& dir, const std::string& extra = "") {
  const std::string path = (dir.path() / "vigil.yaml").string();
  std::ofstream(path) << "rules: " << vigil::test::shipped_rules().string() << "\n"
                      << "rules_cache_dir: " << vigil::test::rules_cache_dir().string() << "\n"
                      << extra;
  return path;
}

struct Engine {
  vigil_engine* e = nullptr;
  explicit Engine(const std::string& config) {
    char* err = nullptr;
    e = vigil_engine_new(config.c_str(), &err);
    if (e == nullptr) FAIL(std::string(err ? err : "vigil_engine_new failed without an error"));
    CHECK(err == nullptr);
  }
  ~Engine() { vigil_engine_free(e); }
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
};

struct Reply {
  int status = -1;
  std::string body;
};

Reply process(vigil_engine* e, std::string_view json) {
  char* out = nullptr;
  size_t len = 0;
  Reply r;
  r.status = vigil_process(e, json.data(), json.size(), &out, &len);
  if (out != nullptr) r.body.assign(out, len);
  if (out != nullptr) CHECK(out[len] == '\0');
  vigil_free(out);
  return r;
}

std::string message(const std::string& conv, const std::string& id, const std::string& sender,
                    const std::string& text) {
  return nlohmann::json{{"conversation_id", conv}, {"message_id", id}, {"sender_id", sender}, {"text", text}}.dump();
}

std::string error_code(const Reply& r) { return nlohmann::json::parse(r.body)["error"]["code"].get<std::string>(); }

std::string new_engine_error(const char* config) {
  char* err = nullptr;
  vigil_engine* e = vigil_engine_new(config, &err);
  CHECK(e == nullptr);
  vigil_engine_free(e);
  std::string text = err ? err : "";
  vigil_free(err);
  return text;
}

// A short non-graphic grooming sequence from one sender, then the other side's replies.
const std::vector<std::pair<std::string, std::string>> kGrooming = {
    {"u-adult", "hey how old are you"},
    {"u-kid", "13"},
    {"u-adult", "you are so mature for your age"},
    {"u-adult", "are your parents home?"},
    {"u-adult", "don't tell anyone about us"},
    {"u-adult", "add me on another app"},
    {"u-kid", "ok"},
    {"u-adult", "send me a photo"},
};

}  // namespace

TEST_CASE("vigil_engine_new reports a missing file, a bad key and bad rules as coded text") {
  TempDir dir;
  CHECK_THAT(new_engine_error((dir.path() / "nope.yaml").c_str()), Catch::Contains("config.not_found"));

  const std::string bad = write_config(dir, "max_conversations: lots\ncolour: blue\n");
  const std::string text = new_engine_error(bad.c_str());
  CHECK_THAT(text, Catch::Contains("vigil.yaml:3:20: config.bad_value"));
  CHECK_THAT(text, Catch::Contains("vigil.yaml:4:1: config.unknown_key"));

  const std::string no_rules = (dir.path() / "norules.yaml").string();
  std::ofstream(no_rules) << "rules: does-not-exist\n";
  CHECK_FALSE(new_engine_error(no_rules.c_str()).empty());

  // No err pointer: still NULL, nothing written anywhere.
  CHECK(vigil_engine_new((dir.path() / "nope.yaml").c_str(), nullptr) == nullptr);
}

TEST_CASE(
    "vigil_process refuses NULLs, malformed JSON and invalid UTF-8 with a status and a coded "
    "body") {
  TempDir dir;
  Engine engine(write_config(dir));
  char* out = reinterpret_cast<char*>(1);
  size_t len = 7;
  const std::string ok = message("c-1", "m-1", "u-a", "hello");

  CHECK(vigil_process(nullptr, ok.data(), ok.size(), &out, &len) == VIGIL_INVALID_ARGUMENT);
  CHECK(out == nullptr);
  CHECK(len == 0);
  CHECK(vigil_process(engine.e, nullptr, 5, &out, &len) == VIGIL_INVALID_ARGUMENT);
  CHECK(vigil_process(engine.e, ok.data(), ok.size(), nullptr, &len) == VIGIL_INVALID_ARGUMENT);
  CHECK(vigil_process(engine.e, ok.data(), ok.size(), &out, nullptr) == VIGIL_INVALID_ARGUMENT);

  Reply empty = process(engine.e, "");
  CHECK(empty.status == VIGIL_BAD_MESSAGE);
  CHECK(error_code(empty) == "request.malformed_json");
  CHECK(vigil_process(engine.e, nullptr, 0, &out, &len) == VIGIL_BAD_MESSAGE);
  vigil_free(out);

  Reply truncated = process(engine.e, R"({"conversation_id": "c-1", "text": )");
  CHECK(truncated.status == VIGIL_BAD_MESSAGE);
  CHECK(error_code(truncated) == "request.malformed_json");

  Reply not_utf8 = process(engine.e,
                           "{\"conversation_id\":\"c-1\",\"message_id\":\"m-1\",\"sender_id\":\"u\","
                           "\"text\":\"are your parents \xff\xfe home\"}");
  CHECK(not_utf8.status == VIGIL_BAD_MESSAGE);
  CHECK(error_code(not_utf8) == "message.invalid_utf8");
  CHECK_NOTHROW(nlohmann::json::parse(not_utf8.body));  // the body itself is valid JSON

  Reply missing = process(engine.e, R"({"conversation_id": "c-1", "message_id": "m-1", "text": "hi"})");
  CHECK(missing.status == VIGIL_BAD_MESSAGE);
  CHECK(error_code(missing) == "message.missing_field");
  CHECK(nlohmann::json::parse(missing.body)["error"]["field"] == "sender_id");

  // Only `len` bytes are read: what follows is not part of the message.
  const std::string padded = ok + "garbage";
  Reply exact = process(engine.e, std::string_view(padded).substr(0, ok.size()));
  CHECK(exact.status == VIGIL_OK);
  CHECK(nlohmann::json::parse(exact.body)["action"] == "allow");

  CHECK(std::string(vigil_status_string(VIGIL_BAD_MESSAGE)) == "bad_message");
  CHECK(std::string(vigil_status_string(99)) == "unknown");
  CHECK(std::string(vigil_version()).find('.') != std::string::npos);  // the project's version, "0.1.0"
  vigil_free(nullptr);
  vigil_engine_free(nullptr);
  CHECK(vigil_engine_reload(nullptr, nullptr) == VIGIL_INVALID_ARGUMENT);
}

TEST_CASE(
    "vigil_process escalates a grooming sequence, and threads on one engine agree with one "
    "thread") {
  TempDir dir;
  const std::string config = write_config(dir);
  constexpr int kThreads = 4;
  constexpr int kConversations = 8;  // per thread

  // The verdicts of one conversation on a fresh engine, one thread.
  std::vector<std::string> expected;
  {
    Engine engine(config);
    for (size_t i = 0; i < kGrooming.size(); ++i) {
      Reply r = process(engine.e, message("c-x", "m-" + std::to_string(i), kGrooming[i].first, kGrooming[i].second));
      REQUIRE(r.status == VIGIL_OK);
      auto v = nlohmann::json::parse(r.body);
      expected.push_back(v["level"].get<std::string>() + "/" + v["action"].get<std::string>());
    }
  }
  CHECK(expected.front() == "none/allow");
  CHECK(expected.back() != "none/allow");

  Engine engine(config);
  std::vector<std::vector<std::string>> got(kThreads * kConversations);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Interleaves this thread's conversations message by message.
      for (size_t i = 0; i < kGrooming.size(); ++i) {
        for (int c = 0; c < kConversations; ++c) {
          const int conv = t * kConversations + c;
          Reply r = process(engine.e, message("c-" + std::to_string(conv), "m-" + std::to_string(i), kGrooming[i].first,
                                              kGrooming[i].second));
          if (r.status != VIGIL_OK) {
            got[conv].push_back("status " + std::to_string(r.status));
            continue;
          }
          auto v = nlohmann::json::parse(r.body);
          got[conv].push_back(v["level"].get<std::string>() + "/" + v["action"].get<std::string>());
        }
        // A bad message in between changes nothing.
        process(engine.e, "{not json");
      }
    });
  }
  // Reloads while the threads run: in-flight messages finish on either snapshot, same rules.
  char* err = nullptr;
  CHECK(vigil_engine_reload(engine.e, &err) == VIGIL_OK);
  CHECK(err == nullptr);
  for (auto& th : threads) th.join();
  for (const auto& conv : got) CHECK(conv == expected);
}

TEST_CASE("conversation state survives vigil_engine_free and a new engine on the same data_dir") {
  TempDir dir;
  const std::string config = write_config(dir, "data_dir: state\nflush_interval_ms: 50\n");
  std::string before;
  {
    Engine engine(config);
    for (size_t i = 0; i + 1 < kGrooming.size(); ++i)
      REQUIRE(
          process(engine.e, message("c-p", "m-" + std::to_string(i), kGrooming[i].first, kGrooming[i].second)).status ==
          VIGIL_OK);
  }
  CHECK(std::filesystem::exists(dir.path() / "state" / "vigil.db"));  // relative to the config file
  Engine engine(config);
  Reply last = process(engine.e, message("c-p", "m-last", kGrooming.back().first, kGrooming.back().second));
  REQUIRE(last.status == VIGIL_OK);
  // Resumed: the last message is scored on top of the earlier ones, not alone.
  TempDir fresh_dir;
  Engine fresh(write_config(fresh_dir));
  Reply alone = process(fresh.e, message("c-p", "m-last", kGrooming.back().first, kGrooming.back().second));
  CHECK(nlohmann::json::parse(last.body)["risk"].get<double>() >
        nlohmann::json::parse(alone.body)["risk"].get<double>());
}
