// Router: maps a request to its route, checks method and scope, and calls the route's
// handler (server/routes/). Order of checks: unknown path 404, wrong method 405 (with
// Allow), missing/unknown token 401, wrong scope 403, then the handler.
//   GET  /livez /healthz /readyz        open
//   GET  /metrics                       open to loopback peers, else scope admin
//   POST /v1/messages                   ingest
//   GET  /v1/stream (WebSocket)         ingest
//   GET  /v1/conversations/{id}         moderate
//   DELETE /v1/conversations/{id}       admin (erasure)
//   GET  /v1/cases, /v1/cases/{id}[/export], POST /v1/cases/{id}/assign|decision   moderate
//   GET  /v1/audit                      admin
//   POST /v1/explain                    moderate
//   GET  /v1/rules                      admin
//   POST /v1/rules/reload               admin
//   GET  /v1/cases/events               moderate (server-sent events, case_events.h)
//   GET  /v1/console/settings           moderate (routes/console_routes.h)
//   GET  /console, /console/{file}      open (the moderators' console, static files)
// With no tokens configured (loopback-only server) every route is open.
// Stateless; thread-safe.
#pragma once

#include <optional>

#include "server/http_message.h"
#include "server/server_context.h"

namespace vigil::server {

// Answers `req`; sets `route` for the latency histogram.
Response handle_request(ServerContext& ctx, const Request& req, Route& route);

// For a WebSocket upgrade request: nullopt when it may upgrade (path /v1/stream, GET,
// scope ingest, not draining), else the refusal to send instead.
std::optional<Response> check_upgrade(ServerContext& ctx, const Request& req);

}  // namespace vigil::server
