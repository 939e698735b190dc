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
#include <span>
#include <string_view>

#include "server/http_message.h"
#include "server/server_context.h"

namespace vigil::server {

// Who may call a route: anyone, a token with the route's scope, or (/metrics) loopback
// peers and admin tokens.
enum class Access : uint8_t { kOpen, kScoped, kMetrics };

struct RouteEntry {
  std::string_view path;  // exact, or a prefix when it ends with '/'
  boost::beast::http::verb method;
  Route route;
  Access access;
  Scope scope;
  Response (*handler)(ServerContext&, const Request&);
};

// Every route, as the router matches them (for tests that must cover each one).
std::span<const RouteEntry> route_table();

// Answers `req`; sets `route` for the latency histogram.
Response handle_request(ServerContext& ctx, const Request& req, Route& route);

// The checks of handle_request that need only the header (path, method,
// Authorization): nullopt when the request may go on and its body may be read, else the
// 404, 405, 401 or 403 to send. Sets `route`. The session calls it before it reads a
// body, so a refused client cannot make the server read (and hold) its body.
std::optional<Response> check_header(ServerContext& ctx, const Request& header, Route& route);

// Runs the handler of a request check_header let through.
Response dispatch(ServerContext& ctx, const Request& req);

// For a WebSocket upgrade request: nullopt when it may upgrade (path /v1/stream, GET,
// scope ingest, not draining), else the refusal to send instead.
std::optional<Response> check_upgrade(ServerContext& ctx, const Request& req);

}  // namespace vigil::server
