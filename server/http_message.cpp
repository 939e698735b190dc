#include "server/http_message.h"

#include <boost/beast/http/status.hpp>

namespace vigil::server {

void serialize(const Response& r, bool keep_alive, std::string& out) {
  const auto status = static_cast<boost::beast::http::status>(r.status);
  const std::string_view reason = boost::beast::http::obsolete_reason(status);
  out.reserve(out.size() + 160 + r.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += reason;
  out += "\r\nServer: vigil\r\nContent-Type: ";
  out += r.content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(r.body.size());
  if (!r.allow.empty()) {
    out += "\r\nAllow: ";
    out += r.allow;
  }
  if (r.status == 401) out += "\r\nWWW-Authenticate: Bearer";
  if (!keep_alive || r.close) out += "\r\nConnection: close";
  out += "\r\n";
  out += r.headers;
  out += "\r\n";
  out += r.body;
}

}  // namespace vigil::server
