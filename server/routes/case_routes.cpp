#include "server/routes/case_routes.h"

#include <charconv>

#include "plugin/common/json_text.h"
#include "plugin/engine/message_json.h"
#include "server/api_error.h"
#include "server/cases/case_json.h"
#include "server/cases/evidence.h"
#include "server/cases/sqlite_case_store.h"
#include "server/message_intake.h"
#include "server/routes/conversation_routes.h"

namespace vigil::server {

namespace {

using nlohmann::json;
using namespace vigil::cases;

constexpr std::string_view kCasesPrefix = "/v1/cases/";
constexpr std::string_view kConversationsPrefix = "/v1/conversations/";
constexpr size_t kMaxNoteBytes = 4096;
constexpr size_t kMaxNameBytes = 256;

Response json_reply(const json& j) {
  Response r;
  r.body = dump_json(j);
  return r;
}

// Splits "a=1&b=2" into decoded pairs; false on a malformed escape.
bool parse_query(std::string_view q, std::vector<std::pair<std::string, std::string>>& out) {
  while (!q.empty()) {
    const size_t amp = q.find('&');
    std::string_view item = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    std::string k, v;
    std::string raw_v(eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1));
    for (char& c : raw_v)
      if (c == '+') c = ' ';
    if (!percent_decode(item.substr(0, eq), k) || !percent_decode(raw_v, v)) return false;
    out.emplace_back(std::move(k), std::move(v));
  }
  return true;
}

Error bad_query(const std::string& key, std::string why) {
  return Error("request.bad_query", std::move(why)).for_field(key);
}

bool parse_count(std::string_view s, size_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

Result<CaseQuery> case_query(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> items;
  if (!parse_query(text, items)) return bad_query("", "the query string has a malformed %XX escape");
  CaseQuery q;
  for (const auto& [k, v] : items) {
    if (k == "status") {
      size_t start = 0;
      while (start <= v.size()) {
        const size_t comma = std::min(v.find(',', start), v.size());
        CaseStatus s;
        if (!parse_status(std::string_view(v).substr(start, comma - start), s))
          return bad_query(k, "status takes open, in_review, escalated, confirmed, dismissed (comma-separated)");
        q.statuses.push_back(s);
        start = comma + 1;
      }
    } else if (k == "level") {
      Level l;
      if (!parse_level(v, l)) return bad_query(k, "level takes none, watch, review or urgent");
      q.level = l;
    } else if (k == "stage") {
      q.stage = v;
    } else if (k == "language") {
      q.language = v;
    } else if (k == "assignee") {
      q.assignee = v;
    } else if (k == "opened_from" || k == "opened_to") {
      int64_t ms = 0;
      if (!parse_rfc3339(v, ms)) return bad_query(k, k + " must be an RFC 3339 time like 2026-11-28T10:15:02Z");
      (k == "opened_from" ? q.opened_from_ms : q.opened_to_ms) = ms;
    } else if (k == "sort") {
      if (v == "risk")
        q.sort = SortKey::kRisk;
      else if (v == "opened")
        q.sort = SortKey::kOpened;
      else if (v == "updated")
        q.sort = SortKey::kUpdated;
      else
        return bad_query(k, "sort takes risk, opened or updated");
    } else if (k == "order") {
      if (v != "asc" && v != "desc") return bad_query(k, "order takes asc or desc");
      q.descending = v == "desc";
    } else if (k == "limit") {
      if (!parse_count(v, q.limit) || q.limit == 0 || q.limit > 500)
        return bad_query(k, "limit must be a number from 1 to 500");
    } else if (k == "cursor") {
      q.cursor = v;
    } else {
      return bad_query(k, "unknown query parameter '" + k +
                              "' (status, level, stage, language, assignee, opened_from, opened_to, sort, order, "
                              "limit, cursor)");
    }
  }
  return q;
}

// "/v1/cases/{id}[/suffix]" -> id and suffix; false when the id is malformed.
bool split_case_path(ServerContext& ctx, std::string_view path, std::string& id, std::string& suffix) {
  std::string_view rest = path.substr(kCasesPrefix.size());
  const size_t slash = rest.find('/');
  suffix = slash == std::string_view::npos ? "" : std::string(rest.substr(slash + 1));
  return percent_decode(rest.substr(0, slash), id) && !id.empty() && id.size() <= ctx.config.limits.max_id_bytes;
}

Response bad_id() {
  return error_response(400, "request.bad_id", "the case id in the path is malformed or too long", "id");
}

Status<> audit(ServerContext& ctx, std::string actor, std::string action, std::string case_id,
               std::string conversation_id, const json& detail) {
  AuditEntry a;
  a.at_ms = ctx.cases->now_ms();
  a.actor = std::move(actor);
  a.action = std::move(action);
  a.case_id = std::move(case_id);
  a.conversation_id = std::move(conversation_id);
  a.detail = dump_json(detail);
  return ctx.cases->store().audit(a);
}

// The body as a JSON object whose keys are all in `allowed`; an empty body is {}.
Result<json> object_body(std::string_view body, std::initializer_list<std::string_view> allowed) {
  if (body.empty()) return json::object();
  Result<json> parsed = parse_json_body(body);
  if (!parsed) return parsed;
  if (!parsed->is_object()) return Error("request.bad_body", "the body must be a JSON object");
  for (auto it = parsed->begin(); it != parsed->end(); ++it) {
    bool known = false;
    for (std::string_view a : allowed) known |= it.key() == a;
    if (!known) return Error("request.unknown_field", "unknown field '" + it.key() + "'").for_field(it.key());
  }
  return parsed;
}

// Reads an optional string member (at most `max` bytes) into out.
Status<> string_field(const json& j, const char* key, size_t max, std::string& out) {
  if (!j.contains(key)) return {};
  if (!j[key].is_string()) return Error("request.bad_type", std::string(key) + " must be a string").for_field(key);
  out = j[key].get<std::string>();
  if (out.size() > max)
    return Error("request.too_long", std::string(key) + " is longer than " + std::to_string(max) + " bytes")
        .for_field(key);
  return {};
}

Status<> version_field(const json& j, int64_t& out) {
  if (!j.contains("version")) return {};
  if (!j["version"].is_number_integer() || j["version"].get<int64_t>() <= 0)
    return Error("request.bad_type", "version must be the case's version, a positive integer").for_field("version");
  out = j["version"].get<int64_t>();
  return {};
}

Response handle_assign(ServerContext& ctx, const Request& req, const std::string& id) {
  Result<json> body = object_body(req.body, {"assignee", "force", "version"});
  if (!body) return error_response(400, body.error());
  AssignRequest a;
  a.actor = ctx.auth.name_of(req.authorization);
  a.assignee = a.actor;
  a.now_ms = ctx.cases->now_ms();
  if (Status<> s = string_field(*body, "assignee", kMaxNameBytes, a.assignee); !s)
    return error_response(400, s.error());
  if (Status<> s = version_field(*body, a.expected_version); !s) return error_response(400, s.error());
  if (body->contains("force")) {
    if (!(*body)["force"].is_boolean())
      return error_response(400, "request.bad_type", "force must be true or false", "force");
    a.force = (*body)["force"].get<bool>();
  }
  if (a.assignee.empty()) return error_response(400, "request.bad_value", "assignee must not be empty", "assignee");
  Result<CaseSummary> c = ctx.cases->store().assign(id, a);
  if (!c) return error_response(c.error());
  return json_reply(summary_json(*c));
}

Response handle_decision(ServerContext& ctx, const Request& req, const std::string& id) {
  Result<json> body = object_body(req.body, {"decision", "reason", "note", "version"});
  if (!body) return error_response(400, body.error());
  DecisionRequest d;
  std::string& decision = d.decision.decision;
  for (auto [key, max, out] :
       {std::tuple{"decision", kMaxNameBytes, &decision}, std::tuple{"reason", kMaxNameBytes, &d.decision.reason},
        std::tuple{"note", kMaxNoteBytes, &d.decision.note}}) {
    if (Status<> s = string_field(*body, key, max, *out); !s) return error_response(400, s.error());
  }
  if (Status<> s = version_field(*body, d.expected_version); !s) return error_response(400, s.error());
  if (decision != "confirm" && decision != "dismiss" && decision != "escalate")
    return error_response(400, "case.bad_decision", "decision must be confirm, dismiss or escalate", "decision");
  if (decision == "dismiss") {
    const auto& reasons = ctx.config.cases.dismissal_reasons;
    if (std::find(reasons.begin(), reasons.end(), d.decision.reason) == reasons.end()) {
      std::string list;
      for (const std::string& r : reasons) list += (list.empty() ? "" : ", ") + r;
      return error_response(400, "case.bad_reason", "a dismissal needs a reason from the configured list: " + list,
                            "reason");
    }
  }
  d.decision.moderator = ctx.auth.name_of(req.authorization);
  d.decision.at_ms = ctx.cases->now_ms();
  Result<CaseSummary> c = ctx.cases->store().decide(id, d);
  if (!c) return error_response(c.error());
  ctx.webhooks->notify();
  if (Status<> s = ctx.cases->refresh(c->conversation_id); !s) return error_response(s.error());
  return json_reply(summary_json(*c));
}

}  // namespace

Status<Errors> start_cases(ServerContext& ctx, std::function<int64_t()> now_ms) {
  SqliteCaseStoreOptions o;
  if (!ctx.config.data_dir.empty()) o.file = ctx.config.data_dir / "cases.db";
  for (const WebhookEndpoint& ep : ctx.config.cases.webhooks.endpoints) o.webhook_urls.push_back(ep.url);
  Result<std::unique_ptr<SqliteCaseStore>> store = SqliteCaseStore::open(std::move(o));
  if (!store) return Errors{std::move(store).error()};
  Result<std::unique_ptr<CaseManager>> manager = CaseManager::create(
      std::move(store).value(), *ctx.engine, *ctx.normalizer, ctx.config.cases.participant_id_key, std::move(now_ms));
  if (!manager) return Errors{std::move(manager).error()};
  ctx.cases = std::move(manager).value();
  ctx.webhooks = std::make_unique<WebhookDispatcher>(ctx.cases->store(), ctx.config.cases.webhooks,
                                                     ctx.config.cases.retention_days,
                                                     [m = ctx.cases.get()] { return m->now_ms(); });
  ctx.cases->on_events([w = ctx.webhooks.get()] { w->notify(); });
  ctx.webhooks->start();
  return {};
}

void append_case_metrics(ServerContext& ctx, std::string& out) {
  if (ctx.webhooks) ctx.webhooks->render_metrics(out);
}

Response handle_case_list(ServerContext& ctx, const Request& req) {
  Result<CaseQuery> q = case_query(req.query);
  if (!q) return error_response(400, q.error());
  Result<CasePage> page = ctx.cases->store().list(*q);
  if (!page) return error_response(page.error());
  json list = json::array();
  for (const CaseSummary& c : page->cases) list.push_back(summary_json(c));
  json counts = json::object();
  for (const auto& [status, n] : page->counts) counts[to_string(status)] = n;
  return json_reply({{"cases", std::move(list)},
                     {"next_cursor", page->next_cursor.empty() ? json(nullptr) : json(page->next_cursor)},
                     {"counts", std::move(counts)}});
}

// The first entries of a case's audit trail that GET /v1/cases/{id} carries.
constexpr size_t kCaseAuditLimit = 500;

Response handle_case_get(ServerContext& ctx, const Request& req) {
  std::string id, suffix;
  if (!split_case_path(ctx, req.path, id, suffix)) return bad_id();
  if (!suffix.empty() && suffix != "export")
    return error_response(404, "request.unknown_route", "no route " + std::string(req.path));
  Result<std::optional<CaseRecord>> c = ctx.cases->store().get(id);
  if (!c) return error_response(c.error());
  if (!*c) return error_response(404, "case.not_found", "no case with this id", "id");
  const CaseRecord& rec = **c;
  const bool is_export = suffix == "export";
  // Reading a case's messages is audited before they are sent.
  const json detail =
      is_export ? json{{"messages", rec.messages.size()},
                       {"chain_head", rec.messages.empty() ? std::string(kChainGenesis) : rec.messages.back().hash}}
                : json{{"messages", rec.messages.size()}};
  if (Status<> s = audit(ctx, ctx.auth.name_of(req.authorization), is_export ? "case.export" : "case.read",
                         rec.summary.id, rec.summary.conversation_id, detail);
      !s)
    return error_response(s.error());
  if (is_export) return json_reply(export_bundle(rec, ctx.cases->now_ms()));
  // The case's own audit trail (this read included), so a moderator sees who read and
  // decided it without the admin-only GET /v1/audit.
  AuditQuery q;
  q.case_id = rec.summary.id;
  q.limit = kCaseAuditLimit;
  Result<std::vector<AuditEntry>> trail = ctx.cases->store().audit_log(q);
  if (!trail) return error_response(trail.error());
  json body = case_json(rec);
  json list = json::array();
  for (const AuditEntry& e : *trail) list.push_back(audit_json(e));
  body["audit"] = std::move(list);
  return json_reply(body);
}

Response handle_case_post(ServerContext& ctx, const Request& req) {
  std::string id, suffix;
  if (!split_case_path(ctx, req.path, id, suffix)) return bad_id();
  if (suffix == "assign") return handle_assign(ctx, req, id);
  if (suffix == "decision") return handle_decision(ctx, req, id);
  return error_response(404, "request.unknown_route",
                        "no route " + std::string(req.path) + " (POST /v1/cases/{id}/assign or /decision)");
}

Response handle_audit(ServerContext& ctx, const Request& req) {
  std::vector<std::pair<std::string, std::string>> items;
  if (!parse_query(req.query, items))
    return error_response(400, "request.bad_query", "the query string has a malformed %XX escape");
  AuditQuery q;
  for (const auto& [k, v] : items) {
    size_t n = 0;
    if (k == "case_id")
      q.case_id = v;
    else if (k == "actor")
      q.actor = v;
    else if (k == "action")
      q.action = v;
    else if (k == "after" && parse_count(v, n))
      q.after_seq = static_cast<int64_t>(n);
    else if (k == "limit" && parse_count(v, n) && n > 0 && n <= 1000)
      q.limit = n;
    else
      return error_response(400, "request.bad_query",
                            "bad query parameter '" + k + "' (case_id, actor, action, after=SEQ, limit=1..1000)", k);
  }
  Result<std::vector<AuditEntry>> entries = ctx.cases->store().audit_log(q);
  if (!entries) return error_response(entries.error());
  json list = json::array();
  for (const AuditEntry& e : *entries) list.push_back(audit_json(e));
  const bool full = entries->size() == q.limit;
  return json_reply({{"entries", std::move(list)}, {"next_after", full ? json(entries->back().seq) : json(nullptr)}});
}

Response handle_conversation_erase(ServerContext& ctx, const Request& req) {
  std::string id;
  if (!percent_decode(req.path.substr(kConversationsPrefix.size()), id) || id.empty() ||
      id.size() > ctx.config.limits.max_id_bytes)
    return error_response(400, "request.bad_id", "the conversation id in the path is malformed or too long", "id");
  std::vector<std::pair<std::string, std::string>> items;
  if (!parse_query(req.query, items))
    return error_response(400, "request.bad_query", "the query string has a malformed %XX escape");
  bool closed_cases = false;
  for (const auto& [k, v] : items) {
    if (k == "closed_cases" && (v == "delete" || v == "keep"))
      closed_cases = v == "delete";
    else
      return error_response(400, "request.bad_query", "bad query parameter '" + k + "' (closed_cases=delete|keep)", k);
  }
  const std::string actor = ctx.auth.name_of(req.authorization);
  bool forgotten = false;
  Result<EraseResult> erased = EraseResult{};
  {
    auto held = ctx.cases->lock(id);
    forgotten = ctx.engine->forget(id);
    erased = ctx.cases->store().erase_conversation(id, closed_cases);
  }
  if (!erased) return error_response(erased.error());
  json detail = {{"scorer_state", forgotten}, {"cases_kept", erased->kept}, {"cases_deleted", erased->deleted}};
  if (Status<> s = audit(ctx, actor, "conversation.erase", "", id, detail); !s) return error_response(s.error());
  detail["conversation_id"] = id;
  return json_reply(detail);
}

}  // namespace vigil::server
