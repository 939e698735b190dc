#include "plugin/common/error.h"

#include <nlohmann/json.hpp>

namespace vigil {

std::string Error::to_text() const {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (line > 0) out.append(":").append(std::to_string(line));
    if (column > 0) out.append(":").append(std::to_string(column));
    out += ": ";
  }
  out += code;
  out += ": ";
  out += message;
  if (!rule_id.empty()) out.append(" [rule ").append(rule_id).append("]");
  if (!field.empty()) out.append(" [field ").append(field).append("]");
  return out;
}

nlohmann::json Error::to_json() const {
  nlohmann::json j = {{"code", code}, {"message", message}};
  if (!file.empty()) j["file"] = file;
  if (line > 0) j["line"] = line;
  if (column > 0) j["column"] = column;
  if (!rule_id.empty()) j["rule"] = rule_id;
  if (!field.empty()) j["field"] = field;
  return j;
}

std::string to_text(const Errors& errors) {
  std::string out;
  for (const Error& e : errors) {
    out += e.to_text();
    out += '\n';
  }
  return out;
}

nlohmann::json to_json(const Errors& errors) {
  nlohmann::json arr = nlohmann::json::array();
  for (const Error& e : errors) arr.push_back(e.to_json());
  return arr;
}

}  // namespace vigil
