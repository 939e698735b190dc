// Message intake: the one path from request bytes to verdict bytes, shared by
// POST /v1/messages and the WebSocket stream. A body holds
//   one message                    {"conversation_id": ...}  -> one verdict object
//   a batch                        {"messages": [...]}       -> {"verdicts": [...]}
//   a bare array                   [...]                     -> [...]
// Verdicts come back in input order. Every message of a batch is validated before any is
// scored: one bad item refuses the whole batch (400, nothing scored) and the error's
// field names it ("messages[3].text", "[3].text" for a bare array). More than
// limits.max_batch messages: 413 request.batch_too_large.
// Thread-safe (the engine is). Reads the body without a JSON tree (plugin/engine/
// message_json.h, messages_from_json_text) into per-thread messages and writes the
// verdicts straight into the reply (append_verdict_json): besides the engine's own
// work, the reply body is the one allocation per call in steady state.
#pragma once

#include <string>
#include <string_view>

#include "server/http_message.h"
#include "server/server_context.h"

namespace vigil::server {

// The reply: the verdict JSON with status 200, or {"error": {...}} with its status and
// error_code.
Response score_body(ServerContext& ctx, std::string_view body);

// A body read as a JSON tree (json_from_text: nesting past kMaxJsonDepth is
// request.too_deep); errors as json_syntax_error.
Result<nlohmann::json> parse_json_body(std::string_view body);

}  // namespace vigil::server
