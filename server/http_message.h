// Request and Response: what a route handler sees and returns, independent of Beast, so
// handlers stay plain functions and the session decides how bytes move. A Response is
// serialised by hand (status line, three headers, body): cheaper than Beast's
// serializer on the one-small-JSON-reply path that dominates the sidecar's load.
// Plain data; movable.
#pragma once

#include <ostream>  // before Boost: its string_view needs the full ostream

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/verb.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace vigil::server {

struct Request {
  boost::beast::http::verb method = boost::beast::http::verb::unknown;
  std::string_view method_text;  // as sent, for 405 messages
  std::string_view path;         // target without the query
  std::string_view query;        // after '?', may be empty
  std::string_view body;
  std::string_view authorization;  // the Authorization header, or empty
  bool loopback_peer = false;      // the client connects from 127.0.0.0/8 or ::1
  std::string_view if_none_match;  // the If-None-Match header, or empty (console files)
};

struct Response {
  unsigned status = 200;
  std::string body;
  std::string_view content_type = "application/json";
  std::string error_code;  // set on error replies, counted in vigil_errors_total
  std::string allow;       // the Allow header of a 405
  std::string headers;     // more header lines, each "Name: value\r\n" (console files)
  bool close = false;      // close the connection after this reply
  // Set when the work blocks (a rule reload): the session runs it off the io threads and
  // sends what it returns, in order with the replies around it.
  std::function<Response()> deferred;
  // Set by a route that streams (GET /v1/cases/events): once the replies before it are
  // written, the session stops serving HTTP and hands its socket to this.
  std::function<void(boost::asio::ip::tcp::socket)> takeover;
};

// Appends the HTTP/1.1 bytes of `r` to `out`.
void serialize(const Response& r, bool keep_alive, std::string& out);

}  // namespace vigil::server
