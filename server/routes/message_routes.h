// POST /v1/messages: one message or {"messages": [...]} (or a bare array); the verdicts
// in input order. Shapes, limits and errors: message_intake.h.
#pragma once

#include "server/http_message.h"
#include "server/server_context.h"

namespace vigil::server {

Response handle_messages(ServerContext& ctx, const Request& req);

}  // namespace vigil::server
