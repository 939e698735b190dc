#include "server/router.h"

#include <string_view>

#include "plugin/common/json_text.h"
#include "server/api_error.h"
#include "server/case_events.h"
#include "server/routes/case_routes.h"
#include "server/routes/console_routes.h"
#include "server/routes/conversation_routes.h"
#include "server/routes/health_routes.h"
#include "server/routes/message_routes.h"
#include "server/routes/rules_routes.h"

namespace vigil::server {

namespace {

using boost::beast::http::verb;

Response websocket_required(ServerContext&, const Request&) {
  Response r = error_response(400, "request.websocket_required", "/v1/stream takes a WebSocket upgrade");
  return r;
}

constexpr RouteEntry kRoutes[] = {
    {"/livez", verb::get, Route::kHealth, Access::kOpen, kScopeNone, handle_livez},
    {"/healthz", verb::get, Route::kHealth, Access::kOpen, kScopeNone, handle_livez},
    {"/readyz", verb::get, Route::kHealth, Access::kOpen, kScopeNone, handle_readyz},
    {"/metrics", verb::get, Route::kMetrics, Access::kMetrics, kScopeMetrics, handle_metrics},
    {"/v1/messages", verb::post, Route::kMessages, Access::kScoped, kScopeIngest, handle_messages},
    {"/v1/stream", verb::get, Route::kStream, Access::kScoped, kScopeIngest, websocket_required},
    {"/v1/conversations/", verb::get, Route::kConversations, Access::kScoped, kScopeModerate, handle_conversation},
    {"/v1/conversations/", verb::delete_, Route::kConversations, Access::kScoped, kScopeAdmin,
     handle_conversation_erase},
    {"/v1/cases", verb::get, Route::kCases, Access::kScoped, kScopeModerate, handle_case_list},
    {"/v1/cases/events", verb::get, Route::kCases, Access::kScoped, kScopeModerate, handle_case_events},
    {"/v1/cases/", verb::get, Route::kCases, Access::kScoped, kScopeModerate, handle_case_get},
    {"/v1/cases/", verb::post, Route::kCases, Access::kScoped, kScopeModerate, handle_case_post},
    {"/v1/audit", verb::get, Route::kAudit, Access::kScoped, kScopeAdmin, handle_audit},
    {"/v1/explain", verb::post, Route::kExplain, Access::kScoped, kScopeModerate, handle_explain},
    {"/v1/rules", verb::get, Route::kRules, Access::kScoped, kScopeAdmin, handle_rules},
    {"/v1/rules/reload", verb::post, Route::kReload, Access::kScoped, kScopeAdmin, handle_reload},
    {"/v1/console/settings", verb::get, Route::kConsole, Access::kScoped, kScopeModerate, handle_console_settings},
    {"/console", verb::get, Route::kConsole, Access::kOpen, kScopeNone, handle_console},
    {"/console/", verb::get, Route::kConsole, Access::kOpen, kScopeNone, handle_console},
};

bool path_matches(const RouteEntry& e, std::string_view path) {
  // A prefix needs more after it, except the console's, whose bare folder is its index.
  const size_t min_size = e.route == Route::kConsole ? e.path.size() : e.path.size() + 1;
  return e.path.back() == '/' ? path.size() >= min_size && path.substr(0, e.path.size()) == e.path : path == e.path;
}

// The entry for path and method; else the first for the path (a 405), else nullptr.
const RouteEntry* find_route(std::string_view path, verb method = verb::unknown) {
  const RouteEntry* first = nullptr;
  for (const RouteEntry& e : kRoutes) {
    if (!path_matches(e, path)) continue;
    if (e.method == method) return &e;
    if (first == nullptr) first = &e;
  }
  return first;
}

// "GET, DELETE": every method the path takes, for Allow.
std::string allowed_methods(std::string_view path) {
  std::string out;
  for (const RouteEntry& e : kRoutes) {
    if (!path_matches(e, path)) continue;
    if (!out.empty()) out += ", ";
    out += boost::beast::http::to_string(e.method);
  }
  return out;
}

// nullopt when allowed, else the 401/403 to send.
std::optional<Response> authorize(ServerContext& ctx, const Request& req, const RouteEntry& e) {
  if (e.access == Access::kOpen || ctx.auth.open()) return std::nullopt;
  if (e.access == Access::kMetrics && req.loopback_peer) return std::nullopt;
  AuthResult a = ctx.auth.check(req.authorization, e.scope);
  switch (a.outcome) {
    case AuthOutcome::kAllowed:
      return std::nullopt;
    case AuthOutcome::kMissing:
      return error_response(401, "auth.missing_token", "this route needs an Authorization: Bearer <token> header");
    case AuthOutcome::kUnknown:
      return error_response(401, "auth.unknown_token", "the bearer token is not one this server knows");
    case AuthOutcome::kForbidden:
      break;
  }
  return error_response(403, "auth.forbidden",
                        std::string("the token '") + a.token->name + "' lacks the scope " + scope_name(e.scope));
}

}  // namespace

std::span<const RouteEntry> route_table() { return kRoutes; }

Response handle_request(ServerContext& ctx, const Request& req, Route& route) {
  if (std::optional<Response> refused = check_header(ctx, req, route)) return std::move(*refused);
  return dispatch(ctx, req);
}

Response dispatch(ServerContext& ctx, const Request& req) {
  return find_route(req.path, req.method)->handler(ctx, req);
}

std::optional<Response> check_header(ServerContext& ctx, const Request& req, Route& route) {
  const RouteEntry* e = find_route(req.path, req.method);
  if (e == nullptr) {
    route = Route::kOther;
    return error_response(404, "request.unknown_route", "no route " + clip_echo(req.path));
  }
  route = e->route;
  if (req.method != e->method) {
    const std::string allow = allowed_methods(req.path);
    Response r = error_response(
        405, "request.method_not_allowed",
        std::string(req.method_text) + " is not allowed on " + std::string(e->path) + " (use " + allow + ")");
    r.allow = allow;
    return r;
  }
  return authorize(ctx, req, *e);
}

std::optional<Response> check_upgrade(ServerContext& ctx, const Request& req) {
  if (req.path != "/v1/stream") {
    return error_response(404, "request.unknown_route", "WebSocket upgrades go to /v1/stream");
  }
  if (req.method != verb::get) {
    Response r = error_response(405, "request.method_not_allowed", "a WebSocket upgrade is a GET");
    r.allow = "GET";
    return r;
  }
  if (auto refused = authorize(ctx, req, *find_route("/v1/stream"))) return refused;
  if (ctx.draining.load(std::memory_order_relaxed)) {
    Response r = error_response(503, "server.draining", "the server is shutting down");
    r.close = true;
    return r;
  }
  return std::nullopt;
}

}  // namespace vigil::server
