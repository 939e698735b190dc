// Auth: bearer tokens from the config, each with a set of scopes.
//   ingest    POST /v1/messages, GET /v1/stream (WebSocket)
//   moderate  GET /v1/conversations/{id}, POST /v1/explain
//   admin     GET /v1/rules, POST /v1/rules/reload, GET /v1/audit, DELETE /v1/conversations/{id}
//   metrics   GET /metrics from a non-loopback peer (a scraper needs no admin token)
// Scopes do not imply one another (least privilege); give a token several when needed.
// With no token configured every route is open and the server refuses to listen on
// anything but loopback (see config.h).
//
// Immutable after construction; any number of threads may call check() at once.
// Copyable, movable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::server {

enum Scope : uint8_t {
  kScopeNone = 0,
  kScopeIngest = 1u << 0,
  kScopeModerate = 1u << 1,
  kScopeAdmin = 1u << 2,
  kScopeMetrics = 1u << 3,
};

// "ingest" -> kScopeIngest ...; kScopeNone for an unknown name.
Scope scope_from_name(std::string_view name);
const char* scope_name(Scope scope);

struct Token {
  std::string token;  // the secret, as sent after "Bearer "
  std::string name;   // who holds it, for logs (never log the token)
  uint8_t scopes = kScopeNone;
};

enum class AuthOutcome : uint8_t {
  kAllowed,
  kMissing,    // 401: no Authorization header, or not "Bearer <token>"
  kUnknown,    // 401: a token that is not configured
  kForbidden,  // 403: a known token without the scope
};

struct AuthResult {
  AuthOutcome outcome = AuthOutcome::kAllowed;
  const Token* token = nullptr;  // set when the token is known
};

class Authenticator {
 public:
  explicit Authenticator(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  // True when no token is configured: every route is open (loopback only).
  bool open() const { return tokens_.empty(); }

  // Checks an Authorization header value for `scope`. Compares every token in constant
  // time, so the answer's timing does not tell how much of a guess was right.
  AuthResult check(std::string_view authorization, Scope scope) const;

  // Who presents this Authorization header, for logs and the audit trail (never the
  // secret): the token's name ("unnamed" when it has none), "anonymous" on a server
  // without tokens, "" when the header holds no known token.
  std::string name_of(std::string_view authorization) const;

 private:
  // The configured token the header presents, or nullptr.
  const Token* find(std::string_view authorization) const;
  std::vector<Token> tokens_;
};

}  // namespace vigil::server
