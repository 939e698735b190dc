#include "server/routes/health_routes.h"

#include "plugin/common/json_text.h"
#include "server/api_error.h"
#include "server/routes/case_routes.h"

namespace vigil::server {

bool is_ready(const ServerContext& ctx) {
  return !ctx.draining.load(std::memory_order_relaxed) && ctx.engine->store_status().ok();
}

Response handle_livez(ServerContext&, const Request&) {
  Response r;
  r.body = R"({"status":"ok"})";
  return r;
}

Response handle_readyz(ServerContext& ctx, const Request&) {
  if (ctx.draining.load(std::memory_order_relaxed)) {
    return error_response(503, "server.draining", "the server is shutting down");
  }
  std::shared_ptr<const RuleSet> rules = ctx.engine->rules();
  // Verdicts would still come, but what they change is not being kept: take the instance
  // out of rotation until the store writes again (it retries every flush interval).
  if (Status<> store = ctx.engine->store_status(); !store) {
    return error_response(503, "server.store_failing",
                          "the state store cannot write (" + store.error().code + "): " + store.error().message);
  }
  Response r;
  r.body = dump_json(nlohmann::json{{"status", "ready"}, {"rules_version", rules->version()}});
  return r;
}

Response handle_metrics(ServerContext& ctx, const Request&) {
  ScrapeInfo info;
  info.engine = ctx.engine->stats();
  info.rule_hits = ctx.engine->rule_hits();
  const std::shared_ptr<const RuleSet> rules = ctx.engine->rules();
  info.rules_version = rules->version();
  info.rules = rules->rules().size();
  info.ready = is_ready(ctx);
  info.body_bytes_in_flight = ctx.bodies.in_flight();
  info.body_bytes_limit = ctx.bodies.limit();
  Response r;
  r.body = ctx.metrics.render(info);
  append_case_metrics(ctx, r.body);
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return r;
}

}  // namespace vigil::server
