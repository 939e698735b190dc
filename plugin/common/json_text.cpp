#include "plugin/common/json_text.h"

#include <nlohmann/json.hpp>

namespace vigil {

std::string dump_json(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string clip_echo(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  size_t cut = max_bytes;
  // Back up over continuation bytes (10xxxxxx) so a character is not split; at most
  // three, the most a UTF-8 character has.
  for (int i = 0; i < 3 && cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80; ++i) --cut;
  std::string out(s.substr(0, cut));
  out += "...";
  return out;
}

}  // namespace vigil
