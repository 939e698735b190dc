#include "server/routes/console_routes.h"

#include <array>
#include <utility>

#include "plugin/common/json_text.h"
#include "plugin/rules/rule_set.h"
#include "plugin/scoring/scorer_config.h"
#include "server/api_error.h"
#include "server/console_assets.h"

namespace vigil::server {

// connect-src 'self': the API is on this origin. Trusted Types with no policy makes any
// assignment of a string to innerHTML (and the other HTML sinks) throw, so chat text
// can only ever reach the page as text.
const std::string_view kConsoleCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "font-src 'none'; object-src 'none'; media-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'";

namespace {

constexpr std::string_view kPrefix = "/console/";

void add_security_headers(Response& r) {
  r.headers += "Content-Security-Policy: ";
  r.headers += kConsoleCsp;
  r.headers +=
      "\r\nX-Frame-Options: DENY\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: "
      "no-referrer\r\n"
      "Cross-Origin-Opener-Policy: same-origin\r\nCross-Origin-Resource-Policy: same-origin\r\n";
}

const EmbeddedFile* find_file(std::string_view path) {
  for (const EmbeddedFile& f : embedded_console_files()) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

}  // namespace

std::string_view console_content_type(std::string_view path) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kTypes = {{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".md", "text/plain; charset=utf-8"},
  }};
  for (const auto& [ext, type] : kTypes) {
    if (path.ends_with(ext)) return type;
  }
  return "application/octet-stream";
}

Response handle_console(ServerContext&, const Request& req) {
  Response r;
  add_security_headers(r);
  if (req.path.size() < kPrefix.size()) {  // "/console": the pages' relative links need the slash
    r.status = 308;
    r.headers += "Location: /console/\r\n";
    r.content_type = "text/plain; charset=utf-8";
    r.body = "/console/\n";
    return r;
  }
  std::string_view name = req.path.substr(kPrefix.size());
  if (name.empty()) name = "index.html";
  const EmbeddedFile* file = find_file(name);
  if (file == nullptr) {
    Response missing = error_response(404, "request.unknown_route", "no console file " + std::string(req.path));
    add_security_headers(missing);
    return missing;
  }
  r.headers += "Cache-Control: no-cache\r\nETag: ";
  r.headers += file->etag;
  r.headers += "\r\n";
  r.content_type = console_content_type(file->path);
  if (!req.if_none_match.empty() &&
      (req.if_none_match.find(file->etag) != std::string_view::npos || req.if_none_match == "*")) {
    r.status = 304;
    return r;
  }
  r.body = file->body;
  return r;
}

Response handle_console_settings(ServerContext& ctx, const Request& req) {
  std::shared_ptr<const RuleSet> rules = ctx.engine->rules();
  nlohmann::json stages = nlohmann::json::array();
  for (const Stage& s : rules->stages()) {
    stages.push_back({{"name", s.name}, {"description", s.description}});
  }
  nlohmann::json levels = nlohmann::json::object();
  for (Level l : {Level::kWatch, Level::kReview, Level::kUrgent}) {
    levels[to_string(l)] = rules->scorer_config().levels[static_cast<int>(l)].min_risk;
  }
  const std::string moderator = ctx.auth.name_of(req.authorization);
  Response r;
  r.body = dump_json({{"moderator", moderator},
                      {"levels", levels},
                      {"stages", stages},
                      {"dismissal_reasons", ctx.config.cases.dismissal_reasons},
                      {"rules_version", rules->version()}});
  return r;
}

}  // namespace vigil::server
