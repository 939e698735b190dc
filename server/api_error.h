// The API's one error shape, on every route and on the WebSocket:
//   {"error": {"code": "...", "message": "...", "field": "..."}}
// `field` names the JSON field at fault ("messages[3].text") and is "" when the error
// is not about one field. Codes are stable and dotted (message.bad_type,
// request.malformed_json, auth.missing_token ...); docs/server.md lists them.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "plugin/common/error.h"
#include "server/http_message.h"

namespace vigil::server {

// {"error": {"code", "message", "field"}} for `e`.
nlohmann::json error_json(const Error& e);

// A reply carrying error_json(e) with `status`.
Response error_response(unsigned status, const Error& e);
Response error_response(unsigned status, std::string code, std::string message, std::string field = "");

}  // namespace vigil::server
