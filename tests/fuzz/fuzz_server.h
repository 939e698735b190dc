// The sidecar state the server fuzz targets share, built once per process: a real
// ServerContext with the real engine on the server tests' rules (the shipped
// stages.yaml and the rule loader's small valid test packs), state in memory, capped at a few
// hundred conversations so a long run stays small, a fixed clock so a reproducer replays the same
// way, and two tokens so the auth checks are reached:
//   Bearer fuzz-admin-token    every scope
//   Bearer fuzz-ingest-token   ingest only
// Logging is off. Small body and frame limits, so the 413 paths are reached by short
// inputs.
#pragma once

#include <cstdio>
#include <cstdlib>

#include "plugin/engine/engine.h"
#include "plugin/normalize/normalizer.h"
#include "server/log.h"
#include "server/routes/case_routes.h"
#include "server/server_context.h"
#include "tests/server/server_test_support.h"

namespace vigil::fuzz {

inline server::ServerContext& server_context() {
  static server::ServerContext* ctx = [] {
    static const test::TempDir rules;  // removed at exit
    server::test::write_test_rules(rules.path());
    server::ServerConfig c = server::test::test_config(rules.path());
    c.tokens = {{"fuzz-admin-token", "fuzz-admin", server::kScopeIngest | server::kScopeModerate | server::kScopeAdmin},
                {"fuzz-ingest-token", "fuzz-ingest", server::kScopeIngest}};
    c.limits.max_body_bytes = 16 << 10;
    c.limits.max_ws_frame_bytes = 16 << 10;
    c.limits.max_text_bytes = 1 << 10;
    c.limits.max_batch = 16;
    (void)server::init_logging(c.log);

    EngineOptions eo;
    eo.rules_dir = c.rules_dir;
    eo.rules_cache_dir = VIGIL_BINARY_DIR "/fuzz-hs-cache";
    eo.max_conversations = 256;
    eo.max_text_bytes = c.limits.max_text_bytes;
    eo.now_ms = [] { return int64_t{1'795'860'902'000}; };
    auto engine = Engine::create(std::move(eo));
    auto normalizer = Normalizer::create();
    if (!engine || !normalizer) {
      std::fprintf(stderr, "fuzz: the engine did not start: %s\n",
                   engine ? normalizer.error().to_text().c_str() : to_text(engine.error()).c_str());
      std::abort();
    }
    auto* made = new server::ServerContext(std::move(c), std::move(engine).value(), std::move(normalizer).value());
    // Cases in memory, as every real server has them, so the case routes are fuzzed too.
    if (!server::start_cases(*made, [] { return int64_t{1'795'860'902'000}; })) {
      std::fprintf(stderr, "fuzz: the case store did not start\n");
      std::abort();
    }
    return made;
  }();
  return *ctx;
}

}  // namespace vigil::fuzz
