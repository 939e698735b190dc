// Health and metrics routes.
//   GET /livez, /healthz  200 {"status": "ok"} while the process serves at all
//   GET /readyz           200 {"status": "ready", "rules_version": ...} when the state
//                         store writes and the server is not draining (rules are always
//                         loaded: the server does not start without them); else 503
//                         server.draining or server.store_failing (the store's error)
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
