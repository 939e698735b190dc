// GET /v1/conversations/{id}: the conversation's current risk, level, suspect, each
// participant's stage profile and the recent verdicts (conversation_to_json in
// plugin/engine/message_json.h). The id is percent-decoded. 404 conversation.not_found
// when the engine does not track it (never seen, or evicted).
#pragma once

#include <string>
#include <string_view>

#include "server/http_message.h"
#include "server/server_context.h"

namespace vigil::server {

Response handle_conversation(ServerContext& ctx, const Request& req);

// Decodes %XX escapes; false on a malformed escape.
bool percent_decode(std::string_view in, std::string& out);

}  // namespace vigil::server
