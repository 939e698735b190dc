// Helpers for the case tests: a real server with a real SQLite case store in a
// temporary data directory, named tokens for moderators and an admin, and the
// messages that take a conversation to review (the test rule packs of
// server_test_support.h plus one coercion rule for urgent).
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include "tests/server/server_test_support.h"

namespace vigil::server::test {

inline const std::string kAlice = "tok-alice-secret";  // moderate, named "alice"
inline const std::string kBob = "tok-bob-secret-16";   // moderate, named "bob"
inline const std::string kAdmin = "tok-admin-secret";  // admin, named "root"
inline const std::string kIngest = "tok-ingest-secret";

// The test packs plus a coercion rule (coercion is urgent at once).
inline void write_case_rules(const std::filesystem::path& dir) {
  write_test_rules(dir);
  std::ofstream(dir / "en" / "coercion.yaml") << R"(pack: test-en-coercion
language: en
rules:
  - id: test.en.coercion.or_else
    stage: coercion
    weight: 1.5
    description: Threatens the child to force compliance
    patterns:
      - regex: '\bor\s+else\s+i\s+will\s+tell\s+everyone\b'
    examples:
      match: ["do it or else i will tell everyone", "or else i will tell everyone ok"]
      no_match: ["or else we will be late", "i will tell everyone the news"]
)";
}

inline ServerConfig case_config(const std::filesystem::path& rules, const std::filesystem::path& data) {
  ServerConfig c = test_config(rules);
  c.data_dir = data;
  c.tokens = {{kAlice, "alice", kScopeModerate},
              {kBob, "bob", kScopeModerate},
              {kAdmin, "root", kScopeAdmin},
              {kIngest, "ingester", kScopeIngest}};
  return c;
}

// A server with its own rules and data directory; restart() keeps the data.
struct CaseFixture {
  TempDir rules;
  TempDir data;
  std::unique_ptr<TestServer> server;
  void (*tweak)(ServerConfig&) = nullptr;

  explicit CaseFixture(void (*t)(ServerConfig&) = nullptr) : tweak(t) {
    write_case_rules(rules.path());
    start();
  }
  void start() {
    ServerConfig c = case_config(rules.path(), data.path());
    if (tweak) tweak(c);
    server = std::make_unique<TestServer>(c);
  }
  void restart() {
    server.reset();
    start();
  }
  uint16_t port() const { return server->port(); }
};

// The messages that take `conv` to review: u-a grooms, u-b answers. The 5th (index 4)
// is the first at review.
inline std::vector<nlohmann::json> grooming(const std::string& conv) {
  return {message(conv, "m1", "u-a", "hi how old are you"),    message(conv, "m2", "u-b", "13"),
          message(conv, "m3", "u-a", "are your parents home"), message(conv, "m4", "u-a", "dont tell anyone ok"),
          message(conv, "m5", "u-a", "add me on snapchat"),    message(conv, "m6", "u-b", "ok")};
}

// Posts each message; returns the verdicts.
inline std::vector<nlohmann::json> send_all(HttpClient& c, const std::vector<nlohmann::json>& msgs) {
  std::vector<nlohmann::json> out;
  for (const nlohmann::json& m : msgs) {
    Reply r = c.post("/v1/messages", m.dump(), kIngest);
    if (r.status != 200) throw std::runtime_error("POST /v1/messages: " + r.body);
    out.push_back(r.json());
  }
  return out;
}

}  // namespace vigil::server::test
