#include "server/routes/conversation_routes.h"

#include "plugin/common/json_text.h"
#include "server/api_error.h"

namespace vigil::server {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    const int hi = i + 1 < in.size() ? hex_value(in[i + 1]) : -1;
    const int lo = i + 2 < in.size() ? hex_value(in[i + 2]) : -1;
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

Response handle_conversation(ServerContext& ctx, const Request& req) {
  constexpr std::string_view kPrefix = "/v1/conversations/";
  std::string id;
  if (!percent_decode(req.path.substr(kPrefix.size()), id) || id.empty() ||
      id.size() > ctx.config.limits.max_id_bytes) {
    return error_response(400, "request.bad_id", "the conversation id in the path is malformed or too long", "id");
  }
  std::optional<ConversationInfo> info = ctx.engine->conversation(id);
  if (!info) {
    return error_response(404, "conversation.not_found", "no conversation with this id is tracked", "id");
  }
  Response r;
  r.body = dump_json(conversation_to_json(*info));
  return r;
}

}  // namespace vigil::server
