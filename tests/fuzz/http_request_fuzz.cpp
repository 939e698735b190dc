// Fuzz target: the sidecar's HTTP request path in process, no socket. Raw bytes are
// parsed as one connection's stream of pipelined requests with Beast's request_parser,
// set up as HttpSession sets it up (header and body limits), and each complete request
// goes through view_of and the router (server/router.h) to its handler, on a real
// ServerContext (fuzz_server.h), then is serialised. A WebSocket upgrade goes through
// check_upgrade and ends the stream, as it ends the HTTP session. Checked:
//   - nothing throws or crashes, whatever the path, headers and body;
//   - every reply has a real status, and every JSON reply is valid JSON (UTF-8), with an
//     error code when the status is an error.
// Deferred work (POST /v1/rules/reload recompiles the fixed test rules; its body is not
// read) is not run.
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "server/http_session.h"
#include "server/router.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_server.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using vigil::server::Response;

void check_reply(const Response& r, bool keep_alive) {
  if (r.deferred) return;  // answered later, off the io thread
  FUZZ_CHECK(r.status >= 200 && r.status <= 599, "a reply has a final status");
  FUZZ_CHECK(r.status < 400 || !r.error_code.empty(), "an error reply names its error code");
  if (r.content_type == "application/json") {
    FUZZ_CHECK(!nlohmann::json::parse(r.body, nullptr, false).is_discarded(), "a JSON reply is valid JSON");
  }
  std::string bytes;
  vigil::server::serialize(r, keep_alive, bytes);
  FUZZ_CHECK(bytes.size() > r.body.size(), "a reply serialises with its header");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigil::server::ServerContext& ctx = vigil::fuzz::server_context();
  const char* p = reinterpret_cast<const char*>(data);
  size_t left = size;
  while (left > 0) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(ctx.config.limits.max_body_bytes);
    parser.header_limit(vigil::server::kHeaderLimit);
    parser.eager(true);
    beast::error_code ec;
    while (!parser.is_done() && left > 0) {
      const size_t used = parser.put(boost::asio::const_buffer(p, left), ec);
      p += used;
      left -= used;
      if (ec == http::error::need_more) {
        ec = {};
        if (used == 0) break;
      } else if (ec) {
        break;
      }
    }
    if (!ec && !parser.is_done()) parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;  // the session answers 400/413/431 or closes

    const http::request<http::string_body>& req = parser.get();
    const vigil::server::Request view = vigil::server::view_of(req, false);
    if (beast::websocket::is_upgrade(req)) {
      if (auto refused = vigil::server::check_upgrade(ctx, view)) check_reply(*refused, false);
      return 0;
    }
    vigil::server::Route route = vigil::server::Route::kOther;
    const Response r = vigil::server::handle_request(ctx, view, route);
    check_reply(r, req.keep_alive());
    if (!req.keep_alive() || r.close) return 0;
  }
  return 0;
}
