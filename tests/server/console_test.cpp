// GET /console/: the moderators' console, embedded in the binary, against a real server
// on 127.0.0.1:0 with tokens configured (the files need none).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "server/console_assets.h"
#include "server/routes/console_routes.h"
#include "tests/server/server_test_support.h"

using namespace vigil::server;
using namespace vigil::server::test;

namespace {

void with_tokens(ServerConfig& c) { c.tokens = {Token{"mod-secret-16bytes", "moderator", kScopeModerate}}; }

std::string header(const Reply& r, http::field f) { return std::string(r.raw[f]); }

std::string source_file(const std::string& rel) {
  std::ifstream in(std::filesystem::path(VIGIL_SOURCE_DIR) / "server/console" / rel, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("every file under server/console/ is embedded byte for byte", "[server][console]") {
  size_t on_disk = 0;
  const std::filesystem::path dir = std::filesystem::path(VIGIL_SOURCE_DIR) / "server/console";
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) ++on_disk;
  }
  REQUIRE(embedded_console_files().size() == on_disk);
  for (const EmbeddedFile& f : embedded_console_files()) {
    INFO(f.path);
    CHECK(f.body == source_file(std::string(f.path)));
    CHECK(f.etag.size() == 18);  // quoted, 16 hex digits
  }
}

TEST_CASE("console files are open, typed, and carry the security headers", "[server][console]") {
  ServerFixture f(with_tokens);
  HttpClient c(f.port());

  Reply index = c.get("/console/");
  REQUIRE(index.status == 200);
  CHECK(index.body == source_file("index.html"));
  CHECK(header(index, http::field::content_type) == "text/html; charset=utf-8");
  const std::string csp = std::string(index.raw["Content-Security-Policy"]);
  CHECK(csp == std::string(kConsoleCsp));
  CHECK(csp.find("default-src 'self'") != std::string::npos);
  CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(csp.find("unsafe-inline") == std::string::npos);
  CHECK(csp.find("unsafe-eval") == std::string::npos);
  CHECK(std::string(index.raw["X-Content-Type-Options"]) == "nosniff");
  CHECK(std::string(index.raw["Referrer-Policy"]) == "no-referrer");
  CHECK(header(index, http::field::cache_control) == "no-cache");

  Reply js = c.get("/console/js/app.js");
  REQUIRE(js.status == 200);
  CHECK(header(js, http::field::content_type) == "text/javascript; charset=utf-8");
  CHECK(c.get("/console/console.css").raw[http::field::content_type] == "text/css; charset=utf-8");
  CHECK(c.get("/console/icon.svg").raw[http::field::content_type] == "image/svg+xml");

  // The API behind the pages still needs the token.
  CHECK(c.get("/v1/conversations/c-1").status == 401);
}

TEST_CASE("console: redirect, unknown files, methods and revalidation", "[server][console]") {
  ServerFixture f(with_tokens);
  HttpClient c(f.port());

  Reply bare = c.get("/console");
  CHECK(bare.status == 308);
  CHECK(header(bare, http::field::location) == "/console/");

  for (const char* path : {"/console/nope.js", "/console/../server.cpp", "/console/js/", "/consolex"}) {
    INFO(path);
    Reply r = c.get(path);
    CHECK(r.status == 404);
    CHECK(r.error_code() == "request.unknown_route");
  }
  Reply post = c.post("/console/index.html", "{}");
  CHECK(post.status == 405);

  Reply first = c.get("/console/js/app.js");
  const std::string etag = header(first, http::field::etag);
  REQUIRE(!etag.empty());
  http::request<http::string_body> req{http::verb::get, "/console/js/app.js", 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::if_none_match, etag);
  http::write(c.socket(), req);
  Reply again = c.read();
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(header(again, http::field::etag) == etag);

  req.set(http::field::if_none_match, "\"0000000000000000\"");
  http::write(c.socket(), req);
  CHECK(c.read().status == 200);
}

TEST_CASE("console content types by extension", "[server][console]") {
  CHECK(console_content_type("index.html") == "text/html; charset=utf-8");
  CHECK(console_content_type("js/app.js") == "text/javascript; charset=utf-8");
  CHECK(console_content_type("vendor/LICENSE.txt") == "text/plain; charset=utf-8");
  CHECK(console_content_type("a.bin") == "application/octet-stream");
}
