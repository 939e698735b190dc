// The moderator API over the case store (server/README.md, "Cases"):
//   GET    /v1/cases                     moderate  list: filters, sort, cursor, counts per status
//   GET    /v1/cases/{id}                moderate  the case with messages, hits, timeline (audited)
//   GET    /v1/cases/{id}/export         moderate  the evidence bundle with its hash chain
//   (audited) POST   /v1/cases/{id}/assign         moderate  {"assignee"?, "force"?, "version"?}
//   POST   /v1/cases/{id}/decision       moderate  {"decision", "reason", "note", "version"?}
//   GET    /v1/audit                     admin     the append-only audit log
//   DELETE /v1/conversations/{id}        admin     erasure (audited)
// The acting moderator is the token's name (never its secret). Errors: 404
// case.not_found, 409 case.conflict / case.assigned, 400 request.bad_query /
// case.bad_decision / case.bad_reason, 503 cases.* when the store fails.
#pragma once

#include <functional>

#include "server/http_message.h"
#include "server/server_context.h"

namespace vigil::server {

// Opens the case store (data_dir/cases.db, or memory when data_dir is "") and the case
// manager, and starts the webhook dispatcher; called by Server::create.
Status<Errors> start_cases(ServerContext& ctx, std::function<int64_t()> now_ms);

// The webhook delivery metrics, appended to /metrics.
void append_case_metrics(ServerContext& ctx, std::string& out);

Response handle_case_list(ServerContext& ctx, const Request& req);
Response handle_case_get(ServerContext& ctx, const Request& req);
Response handle_case_post(ServerContext& ctx, const Request& req);
Response handle_audit(ServerContext& ctx, const Request& req);
Response handle_conversation_erase(ServerContext& ctx, const Request& req);

}  // namespace vigil::server
