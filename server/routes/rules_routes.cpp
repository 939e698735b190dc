#include "server/routes/rules_routes.h"

#include <chrono>

#include "plugin/common/json_text.h"
#include "plugin/rules/explain.h"
#include "server/api_error.h"
#include "server/log.h"
#include "server/message_intake.h"

namespace vigil::server {

using nlohmann::json;

Status<Errors> reload_rules(ServerContext& ctx, std::string_view trigger, std::string_view token) {
  std::lock_guard lock(ctx.reload_mu);
  const auto t0 = std::chrono::steady_clock::now();
  Status<Errors> s = ctx.engine->reload_rules();
  const auto took = std::chrono::steady_clock::now() - t0;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
  ctx.metrics.reload(s.ok(), took);
  if (s) {
    std::shared_ptr<const RuleSet> rules = ctx.engine->rules();
    log_event(spdlog::level::info, "rules_reloaded",
              {{"trigger", trigger},
               {"token", token},
               {"version", rules->version()},
               {"rules", rules->rules().size()},
               {"ms", ms}});
  } else {
    json codes = json::array();
    for (const Error& e : s.error()) codes.push_back(e.to_text());
    log_event(spdlog::level::err, "rules_reload_failed",
              {{"trigger", trigger}, {"token", token}, {"errors", std::move(codes)}, {"ms", ms}});
  }
  return s;
}

Response handle_rules(ServerContext& ctx, const Request&) {
  std::shared_ptr<const RuleSet> rules = ctx.engine->rules();
  json packs = json::array();
  for (const RuleSet::PackInfo& p : rules->packs()) {
    packs.push_back({{"name", p.name}, {"language", p.language}, {"file", p.file}, {"rules", p.rules}});
  }
  json stages = json::array();
  for (const Stage& s : rules->stages()) stages.push_back(s.name);
  Response r;
  r.body = dump_json(json{{"version", rules->version()},
                          {"rules", rules->rules().size()},
                          {"packs", std::move(packs)},
                          {"stages", std::move(stages)}});
  return r;
}

Response handle_reload(ServerContext& ctx, const Request& req) {
  Response r;
  r.deferred = [&ctx, token = ctx.auth.name_of(req.authorization)]() -> Response {
    Status<Errors> s = reload_rules(ctx, "http", token);
    if (!s) {
      const Errors& errors = s.error();
      json body = error_json(Error("rules.reload_failed", std::to_string(errors.size()) +
                                                              " problem(s) in the rule packs; the running rules stay"));
      body["errors"] = to_json(errors);
      Response fail;
      fail.status = 422;
      fail.body = dump_json(body);
      fail.error_code = "rules.reload_failed";
      return fail;
    }
    std::shared_ptr<const RuleSet> rules = ctx.engine->rules();
    Response ok;
    ok.body = dump_json(json{{"reloaded", true}, {"version", rules->version()}, {"rules", rules->rules().size()}});
    return ok;
  };
  return r;
}

Response handle_explain(ServerContext& ctx, const Request& req) {
  Result<json> parsed = json_from_text(req.body);
  if (!parsed) return error_response(400, parsed.error());
  const json& j = *parsed;
  if (!j.is_object()) return error_response(400, "message.not_object", "the body must be {\"text\": \"...\"}");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() != "text") {
      return error_response(400, "message.unknown_field", "explain takes only \"text\"", it.key());
    }
  }
  if (!j.contains("text")) return error_response(400, "message.missing_field", "text is required", "text");
  if (!j["text"].is_string()) return error_response(400, "message.bad_type", "text must be a string", "text");
  const std::string& text = j["text"].get_ref<const std::string&>();
  if (text.size() > ctx.config.limits.max_text_bytes) {
    return error_response(400, "message.text_too_long",
                          "text is longer than " + std::to_string(ctx.config.limits.max_text_bytes) + " bytes", "text");
  }
  std::shared_ptr<const RuleSet> rules = ctx.engine->rules();

  Response r;
  Result<json> explained = explain_json(rules, *ctx.normalizer, text);
  if (!explained) return error_response(503, explained.error());
  r.body = dump_json(*explained);
  return r;
}

}  // namespace vigil::server
