#include "server/api_error.h"

namespace vigil::server {

nlohmann::json error_json(const Error& e) {
  return {{"error", {{"code", e.code}, {"message", e.message}, {"field", e.field}}}};
}

Response error_response(unsigned status, const Error& e) {
  Response r;
  r.status = status;
  r.body = error_json(e).dump();
  r.error_code = e.code;
  return r;
}

Response error_response(unsigned status, std::string code, std::string message, std::string field) {
  return error_response(status, Error(std::move(code), std::move(message)).for_field(std::move(field)));
}

}  // namespace vigil::server
