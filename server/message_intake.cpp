#include "server/message_intake.h"

#include <chrono>

#include "server/api_error.h"
#include "server/log.h"

namespace vigil::server {

namespace {

using nlohmann::json;

void log_verdict(const Verdict& v, std::chrono::nanoseconds took) {
  json rules = json::array();
  for (const VerdictHit& h : v.hits) rules.push_back(h.rule);
  log_event(spdlog::level::info, "verdict",
            {{"conversation_id", v.conversation_id},
             {"message_id", v.message_id},
             {"verdict", to_string(v.level)},
             {"risk", v.risk},
             {"suspect_id", v.suspect_id},
             {"rules", std::move(rules)},
             {"us", std::chrono::duration_cast<std::chrono::microseconds>(took).count()}});
}

}  // namespace

Result<json> parse_json_body(std::string_view body) { return json_from_text(body); }

Response score_body(ServerContext& ctx, std::string_view body) {
  // Per io thread: the messages' strings keep their capacity from one body to the next.
  thread_local MessageBatch batch;
  const Status<> read = messages_from_json_text(body, ctx.config.limits, ctx.config.limits.max_batch, batch);
  if (!read) return error_response(read.error());
  const size_t n = batch.messages.size();
  const bool many = batch.shape != MessageBatch::Shape::kOne;
  const char* prefix = batch.shape == MessageBatch::Shape::kWrapped ? "messages" : "";

  Response r;
  if (batch.shape == MessageBatch::Shape::kWrapped)
    r.body = "{\"verdicts\":[";
  else if (many)
    r.body = "[";
  r.body.reserve(r.body.size() + 320 * n);
  const bool log_flagged = log_enabled(spdlog::level::info);
  for (size_t i = 0; i < n; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const Message& m = batch.messages[i];
    // One conversation's messages reach the case store in scoring order.
    std::unique_lock<std::mutex> held;
    if (ctx.cases) held = ctx.cases->lock(m.conversation_id);
    Result<Verdict> v = ctx.engine->process(m);
    if (!v) {
      Error e = std::move(v).error();
      if (many) {
        // Built by appending: GCC 12 warns (-Wrestrict, a false positive) on the chain of +.
        std::string where = prefix;
        where.append("[").append(std::to_string(i)).append("]");
        if (!e.field.empty()) where.append(".").append(e.field);
        e.field = std::move(where);
      }
      return error_response(e);
    }
    // A verdict that names a case is sent only once the case is committed.
    if (ctx.cases) {
      if (Status<> s = ctx.cases->on_verdict(m, *v); !s) return error_response(503, s.error());
    }
    if (held) held.unlock();
    ctx.metrics.verdict(*v);
    if (log_flagged && v->level != Level::kNone && !v->duplicate) {
      log_verdict(*v, std::chrono::steady_clock::now() - t0);
    }
    if (i) r.body += ',';
    append_verdict_json(*v, r.body);
  }
  if (batch.shape == MessageBatch::Shape::kWrapped)
    r.body += "]}";
  else if (many)
    r.body += ']';
  // A burst of big batches should not pin its memory to the thread for good.
  if (n > 64) batch.messages.resize(64);
  return r;
}

}  // namespace vigil::server
