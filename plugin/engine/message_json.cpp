#include "plugin/engine/message_json.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string_view>

#include "plugin/engine/message_fields.h"

namespace vigil {
namespace {

using nlohmann::json;
using namespace message_fields;

// Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's algorithm.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

json stages_json(const std::vector<std::pair<std::string, double>>& stages) {
  json o = json::object();
  for (const auto& [name, value] : stages) o[name] = round2(value);
  return o;
}

}  // namespace

bool parse_rfc3339(std::string_view s, int64_t& epoch_ms) {
  // YYYY-MM-DD[T ]hh:mm:ss[.frac](Z|±hh:mm)
  auto digits = [&](size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, se;
  if (!digits(0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(5, 2, mo) || s[7] != '-' || !digits(8, 2, d) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(11, 2, h) || s[13] != ':' || !digits(14, 2, mi) ||
      s[16] != ':' || !digits(17, 2, se))
    return false;
  static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDaysIn[mo - 1] || h > 23 || mi > 59 || se > 60) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return false;
  size_t pos = 19;
  int ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int scale = 100, n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos, ++n;
    }
    if (n == 0) return false;
  }
  int offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(pos + 4, 2, om) || oh > 23 ||
        om > 59)
      return false;
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != s.size()) return false;
  const int64_t secs = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                       int64_t{h} * 3600 + int64_t{mi} * 60 + std::min(se, 59) - int64_t{offset_min} * 60;
  epoch_ms = secs * 1000 + ms;
  return true;
}

std::string format_rfc3339(int64_t epoch_ms) {
  int64_t secs = epoch_ms >= 0 ? epoch_ms / 1000 : (epoch_ms - 999) / 1000;
  const int ms = static_cast<int>(epoch_ms - secs * 1000);
  const auto t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

json verdict_to_json(const Verdict& v) {
  json j = {{"conversation_id", v.conversation_id},
            {"message_id", v.message_id},
            {"risk", round2(v.risk)},
            {"level", to_string(v.level)},
            {"action", to_string(v.action)}};
  if (!v.suspect_id.empty()) j["suspect_id"] = v.suspect_id;
  j["stages"] = stages_json(v.stages);
  json hits = json::array();
  for (const auto& h : v.hits) {
    json hj = {{"rule", h.rule}, {"stage", h.stage}, {"start", h.start}, {"end", h.end}};
    if (h.age >= 0) hj["age"] = h.age;
    if (h.shadow) hj["shadow"] = true;
    hits.push_back(std::move(hj));
  }
  j["hits"] = std::move(hits);
  if (!v.case_id.empty()) j["case_id"] = v.case_id;
  j["rules_version"] = v.rules_version;
  if (v.duplicate) j["duplicate"] = true;
  return j;
}

json conversation_to_json(const ConversationInfo& c) {
  json j = {{"conversation_id", c.conversation_id},
            {"risk", round2(c.risk)},
            {"level", to_string(c.level)},
            {"action", to_string(c.action)}};
  if (!c.suspect_id.empty()) j["suspect_id"] = c.suspect_id;
  j["coercion"] = c.coercion;
  j["messages"] = c.messages;
  j["first_ts"] = format_rfc3339(c.first_ts_ms);
  j["last_ts"] = format_rfc3339(c.last_ts_ms);
  json parts = json::array();
  for (const auto& p : c.participants) {
    json pj = {{"sender_id", p.sender_id},
               {"score", round2(p.score)},
               {"risk", round2(p.risk)},
               {"age_band", to_string(p.age_band)}};
    if (p.disclosed_age >= 0) pj["disclosed_age"] = p.disclosed_age;
    pj["new_account"] = p.new_account;
    pj["eligible"] = p.eligible;
    pj["messages"] = p.messages;
    pj["stages"] = stages_json(p.stages);
    parts.push_back(std::move(pj));
  }
  j["participants"] = std::move(parts);
  json timeline = json::array();
  for (const auto& t : c.timeline) {
    timeline.push_back({{"message_id", t.message_id},
                        {"sender_id", t.sender_id},
                        {"ts", format_rfc3339(t.ts_ms)},
                        {"risk", round2(t.risk)},
                        {"level", to_string(t.level)}});
  }
  j["timeline"] = std::move(timeline);
  j["rules_version"] = c.rules_version;
  return j;
}

}  // namespace vigil
