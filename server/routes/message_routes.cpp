#include "server/routes/message_routes.h"

#include "server/message_intake.h"

namespace vigil::server {

Response handle_messages(ServerContext& ctx, const Request& req) { return score_body(ctx, req.body); }

}  // namespace vigil::server
