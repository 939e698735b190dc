// The moderators' console (server/console/, embedded by console_assets.h), served as
// static files:
//   GET /console            308 to /console/
//   GET /console/           index.html
//   GET /console/{file}     the file; 404 request.unknown_route when there is none
// Open, like /livez: the files hold no data, and every API call the pages make carries
// the moderator's bearer token. Every reply carries the security headers (a strict
// Content-Security-Policy: only this origin's scripts, styles and images, no inline
// script or style, no framing, Trusted Types so no string reaches an HTML sink;
// X-Content-Type-Options: nosniff; Referrer-Policy: no-referrer) and
// Cache-Control: no-cache with a strong ETag, so a browser revalidates and an unchanged
// file costs a 304.
#pragma once

#include <string_view>

#include "server/http_message.h"
#include "server/server_context.h"

namespace vigil::server {

Response handle_console(ServerContext& ctx, const Request& req);

// GET /v1/console/settings (scope moderate): what the console needs besides the case
// API, read once after sign-in:
//   {"moderator": the token's name ("anonymous" without tokens),
//    "levels": {"watch": 35, "review": 65, "urgent": 90}   (min_risk, rules/stages.yaml),
//    "stages": [{"name", "description"}],                   (the loaded rules' stage model)
//    "dismissal_reasons": [...],                            (cases.dismissal_reasons)
//    "rules_version": "..."}
Response handle_console_settings(ServerContext& ctx, const Request& req);

// The Content-Type for a console file, by its extension (application/octet-stream when
// the extension is not one the console uses).
std::string_view console_content_type(std::string_view path);

// The Content-Security-Policy every console reply carries.
extern const std::string_view kConsoleCsp;

}  // namespace vigil::server
