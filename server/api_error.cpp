#include "server/api_error.h"

#include "plugin/common/json_text.h"
#include "server/log.h"

namespace vigil::server {

// Bounds on what one error may carry: a field is a name or a path (clip_echo's bound);
// a message is a sentence, which may quote a little input.
constexpr size_t kMaxErrorMessageBytes = 4 * kMaxEchoBytes;

nlohmann::json error_json(const Error& e) {
  return {
      {"error",
       {{"code", e.code}, {"message", clip_echo(e.message, kMaxErrorMessageBytes)}, {"field", clip_echo(e.field)}}}};
}

unsigned http_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kTooLarge:
      return 413;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kConflict:
      return 409;
    case ErrorKind::kUnavailable:
      return 503;
    case ErrorKind::kInvalid:
      break;
  }
  return 400;
}

Response error_response(const Error& e) { return error_response(http_status(e.kind), e); }

Response error_response(unsigned status, const Error& e) {
  Response r;
  r.status = status;
  r.body = dump_json(error_json(e));
  r.error_code = e.code;
  return r;
}

Response internal_error(const char* where) noexcept {
  try {
    log_event(spdlog::level::err, "internal_error", {{"where", where}});
    Response r = error_response(500, "server.internal_error", "the server failed on this request (logged)");
    r.close = true;
    return r;
  } catch (...) {
    Response r;  // out of memory: a bare 500 without a body
    r.status = 500;
    r.close = true;
    return r;
  }
}

Response error_response(unsigned status, std::string code, std::string message, std::string field) {
  return error_response(status, Error(std::move(code), std::move(message)).for_field(std::move(field)));
}

}  // namespace vigil::server
