#include "server/auth.h"

namespace vigil::server {

Scope scope_from_name(std::string_view name) {
  if (name == "ingest") return kScopeIngest;
  if (name == "moderate") return kScopeModerate;
  if (name == "admin") return kScopeAdmin;
  if (name == "metrics") return kScopeMetrics;
  return kScopeNone;
}

const char* scope_name(Scope scope) {
  switch (scope) {
    case kScopeIngest:
      return "ingest";
    case kScopeModerate:
      return "moderate";
    case kScopeAdmin:
      return "admin";
    case kScopeMetrics:
      return "metrics";
    default:
      return "none";
  }
}

namespace {

// Equal length and equal bytes, in time that depends only on the lengths.
bool constant_time_equal(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = a.size() < b.size() ? a.size() : b.size();
  for (size_t i = 0; i < n; ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string_view bearer_token(std::string_view header) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (header.size() <= kPrefix.size()) return {};
  for (size_t i = 0; i < kPrefix.size(); ++i) {
    // The scheme is case-insensitive (RFC 7235).
    char c = header[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    char p = kPrefix[i];
    if (p >= 'A' && p <= 'Z') p = static_cast<char>(p - 'A' + 'a');
    if (c != p) return {};
  }
  std::string_view token = header.substr(kPrefix.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

}  // namespace

const Token* Authenticator::find(std::string_view authorization) const {
  std::string_view presented = bearer_token(authorization);
  if (presented.empty()) return nullptr;
  const Token* found = nullptr;
  for (const Token& t : tokens_) {
    if (constant_time_equal(t.token, presented) && found == nullptr) found = &t;
  }
  return found;
}

AuthResult Authenticator::check(std::string_view authorization, Scope scope) const {
  if (open()) return {};
  if (bearer_token(authorization).empty()) return {AuthOutcome::kMissing, nullptr};
  const Token* found = find(authorization);
  if (found == nullptr) return {AuthOutcome::kUnknown, nullptr};
  if ((found->scopes & scope) == 0) return {AuthOutcome::kForbidden, found};
  return {AuthOutcome::kAllowed, found};
}

std::string Authenticator::name_of(std::string_view authorization) const {
  if (open()) return "anonymous";
  const Token* t = find(authorization);
  if (t == nullptr) return "";
  return t->name.empty() ? std::string("unnamed") : t->name;
}

}  // namespace vigil::server
