// Rule routes, for policy teams and operators.
//   GET  /v1/rules          {"version", "rules", "packs": [{name, language, file, rules}],
//                            "stages": [...]}
//   POST /v1/rules/reload   rebuilds the rules aside and swaps them in atomically
//                            (Engine::reload_rules); 200 {"reloaded": true, "version",
//                            "rules"} or 422 {"error": {code: rules.reload_failed},
//                            "errors": [every load error]} with the old rules running.
//                            Runs off the io threads (deferred response).
//   POST /v1/explain        {"text": "..."} -> {"normalized", "transforms", "hits":
//                            [{rule, stage, description, start, end, norm_start,
//                            norm_end, age?, shadow?, captures}], "rules_version"}
#pragma once

#include "server/http_message.h"
#include "server/server_context.h"

namespace vigil::server {

Response handle_rules(ServerContext& ctx, const Request& req);
Response handle_reload(ServerContext& ctx, const Request& req);
Response handle_explain(ServerContext& ctx, const Request& req);

// The reload itself, shared by the route and SIGHUP: serialised, counted in metrics
// (with its duration), logged with the trigger ("http", "sighup") and who asked (the
// token's name; empty for a signal). Blocks while the new rules compile.
Status<Errors> reload_rules(ServerContext& ctx, std::string_view trigger, std::string_view token = "");

}  // namespace vigil::server
