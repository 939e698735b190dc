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

// {"error": {"code", "message", "field"}} for `e`; the field clipped to kMaxEchoBytes
// and the message to four times that (plugin/common/json_text.h), as both may quote
// the request.
nlohmann::json error_json(const Error& e);

// The HTTP status of an error of `kind`: 400 invalid, 413 too large, 404 not found,
// 409 conflict, 503 unavailable.
unsigned http_status(ErrorKind kind);

// A reply carrying error_json(e) with the status of its kind.
Response error_response(const Error& e);
// The same with a status the route chooses (401, 405, 429 ...).
Response error_response(unsigned status, const Error& e);
Response error_response(unsigned status, std::string code, std::string message, std::string field = "");

// The reply answer_safely gives for an exception; logs the event.
Response internal_error(const char* where) noexcept;

// Runs `answer` (a route handler, a deferred job, a WebSocket frame's scoring). Handlers
// return errors as data, so an exception is a bug; it must not end the process, so it
// becomes 500 server.internal_error, logged as `internal_error` with `where` (never the
// exception's text, which may quote the request).
template <class F>
Response answer_safely(const char* where, F&& answer) noexcept {
  try {
    return answer();
  } catch (...) {
    return internal_error(where);
  }
}

}  // namespace vigil::server
