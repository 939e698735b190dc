// server/config.h: YAML, environment and validation.
#include <catch2/catch.hpp>

#include <map>

#include "server/config.h"

using namespace vigil::server;

namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

}  // namespace

TEST_CASE("a full config file is read", "[server][config]") {
  ServerConfig c;
  auto s = load_config_yaml(R"(
listen: 0.0.0.0:9000
rules: /etc/vigil/rules
data_dir: /var/lib/vigil
threads: 4
tokens:
  - {token: chat-token-0123456789, name: chat, scopes: [ingest]}
  - token: ops-token-0123456789
    name: ops
    scopes: [admin, moderate]
limits:
  max_body_bytes: 2MiB
  max_batch: 500
  header_timeout: 5s
  idle_timeout: 90s
  drain_timeout: 1500ms
log: {level: warn, format: text}
)",
                            "vigil.yaml", c);
  REQUIRE(s.ok());
  CHECK(c.host == "0.0.0.0");
  CHECK(c.port == 9000);
  CHECK(c.rules_dir == "/etc/vigil/rules");
  CHECK(c.threads == 4);
  REQUIRE(c.tokens.size() == 2);
  CHECK(c.tokens[1].scopes == (kScopeAdmin | kScopeModerate));
  CHECK(c.limits.max_body_bytes == 2u << 20);
  CHECK(c.limits.max_batch == 500);
  CHECK(c.limits.header_timeout == std::chrono::seconds(5));
  CHECK(c.limits.drain_timeout == std::chrono::milliseconds(1500));
  CHECK(c.log.level == "warn");
  CHECK_FALSE(c.log.json);
  CHECK(validate(c).ok());
}

TEST_CASE("unknown keys and bad values are errors with file and line", "[server][config]") {
  ServerConfig c;
  auto s = load_config_yaml("listen: 127.0.0.1:8080\nlisten_port: 9\nlimits:\n  max_batch: lots\n  speed: 3\n",
                            "vigil.yaml", c);
  REQUIRE_FALSE(s.ok());
  const vigil::Errors& e = s.error();
  REQUIRE(e.size() == 3);
  CHECK(e[0].code == "config.unknown_key");
  CHECK(e[0].file == "vigil.yaml");
  CHECK(e[0].line == 2);
  CHECK(e[1].code == "config.bad_value");
  CHECK(e[1].line == 4);
  CHECK(e[1].field == "limits.max_batch");
  CHECK(e[2].code == "config.unknown_key");
  CHECK(e[2].line == 5);
  CHECK(load_config_yaml("listen: [1, 2", "x.yaml", c).error()[0].code == "config.bad_yaml");
  CHECK(load_config_file("/nonexistent/vigil.yaml", c).error()[0].code == "config.not_found");
}

TEST_CASE("the environment overrides the file", "[server][config]") {
  ServerConfig c;
  REQUIRE(load_config_yaml("listen: 127.0.0.1:1000\nthreads: 2\n", "f", c).ok());
  auto s = apply_env(env_of({{"VIGIL_LISTEN", "127.0.0.1:2000"},
                             {"VIGIL_LIMITS_MAX_BATCH", "7"},
                             {"VIGIL_LIMITS_IDLE_TIMEOUT", "3s"},
                             {"VIGIL_TOKENS", "chat:ingest:s3cret,ops:admin+moderate:a:b"}}),
                     c);
  REQUIRE(s.ok());
  CHECK(c.port == 2000);
  CHECK(c.threads == 2);
  CHECK(c.limits.max_batch == 7);
  CHECK(c.limits.idle_timeout == std::chrono::seconds(3));
  REQUIRE(c.tokens.size() == 2);
  CHECK(c.tokens[0].token == "s3cret");
  CHECK(c.tokens[1].token == "a:b");
  CHECK(c.tokens[1].scopes == (kScopeAdmin | kScopeModerate));
  auto bad = apply_env(env_of({{"VIGIL_THREADS", "many"}, {"VIGIL_TOKENS", "x:root:y"}}), c);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().size() == 2);
}

TEST_CASE("validation: listen addresses, tokens and loopback-only without tokens", "[server][config]") {
  ServerConfig c;
  CHECK(validate(c).ok());  // the defaults: 127.0.0.1:8080, no tokens
  CHECK_FALSE(parse_listen("8080", c).ok());
  CHECK_FALSE(parse_listen("host:99999", c).ok());
  REQUIRE(parse_listen("[::1]:0", c).ok());
  CHECK(c.host == "::1");
  CHECK(validate(c).ok());
  REQUIRE(parse_listen("10.0.0.5:8080", c).ok());
  auto open = validate(c);
  REQUIRE_FALSE(open.ok());
  CHECK(open.error()[0].code == "config.open_listen");
  c.tokens = {Token{"token-0123456789ab", "a", kScopeIngest}, Token{"token-0123456789ab", "b", kScopeNone}};
  auto tokens = validate(c);
  REQUIRE_FALSE(tokens.ok());
  CHECK(tokens.error().size() == 2);  // no scope; a repeated token
  c.tokens = {Token{"0123456789abcdef", "long-enough", kScopeIngest}, Token{"s3cret-15-bytes", "short", kScopeIngest}};
  auto short_token = validate(c);
  REQUIRE_FALSE(short_token.ok());
  REQUIRE(short_token.error().size() == 1);
  CHECK(short_token.error()[0].code == "config.bad_token");
  CHECK(short_token.error()[0].field == "tokens[1].token");
  CHECK(short_token.error()[0].message.find("15 bytes") != std::string::npos);
  CHECK(short_token.error()[0].message.find("'short'") != std::string::npos);
  CHECK(short_token.error()[0].message.find("s3cret") == std::string::npos);  // never the secret
  CHECK(is_loopback_host("127.0.0.2"));
  CHECK(is_loopback_host("localhost"));
  CHECK_FALSE(is_loopback_host("0.0.0.0"));
}

TEST_CASE("the state section: durability and memory bounds from the file and the environment", "[server][config]") {
  ServerConfig c;
  CHECK(c.state.flush_interval == std::chrono::seconds(1));
  CHECK(c.state.max_unflushed == 20'000);
  CHECK(c.state.context_max_bytes == 256u << 20);
  REQUIRE(load_config_yaml("state: {flush_interval: 250ms, max_unflushed: 5000, context_max_bytes: 64MiB}\n",
                           "vigil.yaml", c)
              .ok());
  CHECK(c.state.flush_interval == std::chrono::milliseconds(250));
  CHECK(c.state.max_unflushed == 5000);
  CHECK(c.state.context_max_bytes == 64u << 20);
  REQUIRE(apply_env(env_of({{"VIGIL_STATE_FLUSH_INTERVAL", "2s"}, {"VIGIL_STATE_MAX_BYTES", "1MiB"}}), c).ok());
  CHECK(c.state.flush_interval == std::chrono::seconds(2));
  CHECK(c.state.max_bytes == 1u << 20);
  auto bad = load_config_yaml("state:\n  flush_interval: 0ms\n  max_unflushed: 0\n  speed: 3\n", "v.yaml", c);
  REQUIRE_FALSE(bad.ok());
  REQUIRE(bad.error().size() == 3);
  CHECK(bad.error()[0].field == "state.flush_interval");
  CHECK(bad.error()[1].field == "state.max_unflushed");
  CHECK(bad.error()[2].code == "config.unknown_key");
}

TEST_CASE("max_conversations, idle_ttl and context_messages are set from the file and the environment",
          "[server][config]") {
  ServerConfig c;
  CHECK(c.state.max_conversations == 1'000'000);
  CHECK(c.state.idle_ttl == std::chrono::hours(30 * 24));
  CHECK(c.state.context_messages == 50);
  REQUIRE(load_config_yaml("state: {max_conversations: 5000, idle_ttl: 12h, context_messages: 0}\n", "v.yaml", c).ok());
  CHECK(c.state.max_conversations == 5000);
  CHECK(c.state.idle_ttl == std::chrono::hours(12));
  CHECK(c.state.context_messages == 0);
  REQUIRE(apply_env(env_of({{"VIGIL_STATE_IDLE_TTL", "7d"}, {"VIGIL_STATE_CONTEXT_MESSAGES", "20"}}), c).ok());
  CHECK(c.state.idle_ttl == std::chrono::hours(7 * 24));
  CHECK(c.state.context_messages == 20);

  auto bad =
      load_config_yaml("state:\n  idle_ttl: 500ms\n  context_messages: 10001\n  max_conversations: 0\n", "v.yaml", c);
  REQUIRE_FALSE(bad.ok());
  REQUIRE(bad.error().size() == 3);
  CHECK(bad.error()[0].field == "state.idle_ttl");
  CHECK(bad.error()[0].line == 2);
  CHECK(bad.error()[0].message == "state.idle_ttl must be a duration of at least 1s like 12h or 30d");
  CHECK(bad.error()[1].field == "state.context_messages");
  CHECK(bad.error()[1].message == "state.context_messages must be a count from 0 to 10000");
  CHECK(bad.error()[2].field == "state.max_conversations");
  auto bad_env = apply_env(env_of({{"VIGIL_STATE_IDLE_TTL", "soon"}}), c);
  REQUIRE_FALSE(bad_env.ok());
  CHECK(bad_env.error()[0].field == "VIGIL_STATE_IDLE_TTL");
}

TEST_CASE("a misspelt VIGIL_* variable is an error naming it and the closest known name", "[server][config]") {
  CHECK(check_env_names(
            {"PATH=/usr/bin", "VIGIL_LISTEN=127.0.0.1:1", "VIGIL_STATE_IDLE_TTL=1h", "VIGIL_CACHE_DIR=x", "HOME"})
            .ok());
  auto bad = check_env_names({"VIGIL_LISTN=127.0.0.1:1", "VIGIL_LIMITS_MAX_BATH=5", "VIGIL_TOKENS=a:ingest:b"});
  REQUIRE_FALSE(bad.ok());
  REQUIRE(bad.error().size() == 2);
  CHECK(bad.error()[0].code == "config.unknown_env");
  CHECK(bad.error()[0].field == "VIGIL_LISTN");
  CHECK(bad.error()[0].message.find("did you mean VIGIL_LISTEN?") != std::string::npos);
  CHECK(bad.error()[1].field == "VIGIL_LIMITS_MAX_BATH");
  CHECK(bad.error()[1].message.find("did you mean VIGIL_LIMITS_MAX_BATCH?") != std::string::npos);
  // Every name apply_env reads is known.
  for (const char* name : {"VIGIL_DATA_DIR", "VIGIL_LOG_FILE", "VIGIL_CASES_PARTICIPANT_ID_KEY",
                           "VIGIL_STATE_MAX_CONVERSATIONS", "VIGIL_LIMITS_DRAIN_TIMEOUT"}) {
    INFO(name);
    CHECK(check_env_names({name}).ok());
  }
}
