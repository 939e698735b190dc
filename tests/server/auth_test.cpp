// server/auth.h
#include <catch2/catch.hpp>

#include "server/auth.h"

using namespace vigil::server;

TEST_CASE("bearer tokens are checked for their scope", "[server][auth]") {
  Authenticator auth({Token{"abc123", "chat", kScopeIngest}, Token{"zzz", "ops", kScopeAdmin | kScopeModerate}});
  CHECK(auth.check("Bearer abc123", kScopeIngest).outcome == AuthOutcome::kAllowed);
  CHECK(auth.check("bearer  abc123 ", kScopeIngest).outcome == AuthOutcome::kAllowed);
  CHECK(auth.check("Bearer abc123", kScopeAdmin).outcome == AuthOutcome::kForbidden);
  CHECK(auth.check("Bearer abc12", kScopeIngest).outcome == AuthOutcome::kUnknown);
  CHECK(auth.check("Bearer abc1234", kScopeIngest).outcome == AuthOutcome::kUnknown);
  CHECK(auth.check("Basic abc123", kScopeIngest).outcome == AuthOutcome::kMissing);
  CHECK(auth.check("", kScopeIngest).outcome == AuthOutcome::kMissing);
  CHECK(auth.check("Bearer zzz", kScopeModerate).token->name == "ops");
  CHECK(Authenticator({}).check("", kScopeAdmin).outcome == AuthOutcome::kAllowed);
}
