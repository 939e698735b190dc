// Health and metrics routes.
//   GET /livez, /healthz  200 {"status": "ok"} while the process serves at all
//   GET /readyz           200 {"status": "ready", "rules_version": ...} when rules are
//                         loaded, the state store writes and the server is not draining;
//                         else 503 server.draining, server.not_ready or
//                         server.store_failing (the store's error code and message)
//   GET /metrics          Prometheus text (metrics.h)
#pragma once

#include "server/http_message.h"
#include "server/server_context.h"

namespace vigil::server {

Response handle_livez(ServerContext& ctx, const Request& req);
Response handle_readyz(ServerContext& ctx, const Request& req);
Response handle_metrics(ServerContext& ctx, const Request& req);

// True when /readyz answers 200.
bool is_ready(const ServerContext& ctx);

}  // namespace vigil::server
