#include "server/cases/case_json.h"

#include <cmath>

#include "plugin/common/json_text.h"
#include "plugin/engine/message_json.h"

namespace vigil::cases {

using nlohmann::json;

const char* to_string(CaseStatus s) {
  switch (s) {
    case CaseStatus::kOpen:
      return "open";
    case CaseStatus::kInReview:
      return "in_review";
    case CaseStatus::kEscalated:
      return "escalated";
    case CaseStatus::kConfirmed:
      return "confirmed";
    case CaseStatus::kDismissed:
      return "dismissed";
  }
  return "open";
}

bool parse_status(std::string_view text, CaseStatus& out) {
  for (CaseStatus s : kAllStatuses) {
    if (text == to_string(s)) {
      out = s;
      return true;
    }
  }
  return false;
}

bool parse_level(std::string_view text, Level& out) {
  for (Level l : {Level::kNone, Level::kWatch, Level::kReview, Level::kUrgent}) {
    if (text == vigil::to_string(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

double round_risk(double risk) { return std::round(risk * 100.0) / 100.0; }

namespace {

std::string time_text(int64_t ms) { return ms > 0 ? format_rfc3339(ms) : std::string(); }

json stages_json(const std::vector<std::pair<std::string, double>>& stages) {
  json out = json::object();
  for (const auto& [name, value] : stages) out[name] = std::round(value * 1000.0) / 1000.0;
  return out;
}

}  // namespace

json hit_json(const CaseHit& h) {
  json j = {{"rule", h.rule},         {"stage", h.stage}, {"description", h.description},
            {"language", h.language}, {"start", h.start}, {"end", h.end}};
  if (h.age >= 0) j["age"] = h.age;
  if (h.shadow) j["shadow"] = true;
  return j;
}

json summary_json(const CaseSummary& s) {
  return {{"id", s.id},
          {"conversation_id", s.conversation_id},
          {"status", to_string(s.status)},
          {"level", vigil::to_string(s.level)},
          {"risk", round_risk(s.risk)},
          {"suspect_id", s.suspect_id},
          {"assignee", s.assignee},
          {"rules_version", s.rules_version},
          {"opened_at", time_text(s.opened_ms)},
          {"updated_at", time_text(s.updated_ms)},
          {"closed_at", time_text(s.closed_ms)},
          {"version", s.version},
          {"message_count", s.message_count},
          {"stages", s.stages},
          {"languages", s.languages}};
}

json decision_json(const Decision& d) {
  return {{"decision", d.decision},   {"reason", d.reason},        {"note", d.note},       {"moderator", d.moderator},
          {"at", time_text(d.at_ms)}, {"from", to_string(d.from)}, {"to", to_string(d.to)}};
}

json case_json(const CaseRecord& c) {
  json j = summary_json(c.summary);
  json participants = json::array();
  for (const CaseParticipant& p : c.participants) {
    json pj = {{"id", p.id},
               {"suspect", p.suspect},
               {"age_band", vigil::to_string(p.age_band)},
               {"risk", round_risk(p.risk)},
               {"messages", p.messages}};
    pj["disclosed_age"] = p.disclosed_age >= 0 ? json(p.disclosed_age) : json(nullptr);
    participants.push_back(std::move(pj));
  }
  json messages = json::array();
  json timeline = json::array();
  for (const CaseMessage& m : c.messages) {
    json hits = json::array();
    json rule_ids = json::array();
    for (const CaseHit& h : m.hits) {
      hits.push_back(hit_json(h));
      rule_ids.push_back(h.rule);
    }
    messages.push_back({{"seq", m.seq},
                        {"message_id", m.message_id},
                        {"sender_id", m.sender_id},
                        {"ts", time_text(m.ts_ms)},
                        {"text", m.text},
                        {"risk", round_risk(m.risk)},
                        {"level", vigil::to_string(m.level)},
                        {"context", m.context},
                        {"hits", std::move(hits)},
                        {"hash", m.hash}});
    timeline.push_back({{"seq", m.seq},
                        {"message_id", m.message_id},
                        {"sender_id", m.sender_id},
                        {"ts", time_text(m.ts_ms)},
                        {"risk", round_risk(m.risk)},
                        {"level", vigil::to_string(m.level)},
                        {"stages", stages_json(m.stages)},
                        {"hits", std::move(rule_ids)}});
  }
  json decisions = json::array();
  for (const Decision& d : c.decisions) decisions.push_back(decision_json(d));
  j["participants"] = std::move(participants);
  j["messages"] = std::move(messages);
  j["timeline"] = std::move(timeline);
  j["decisions"] = std::move(decisions);
  return j;
}

json audit_json(const AuditEntry& e) {
  json detail = json::parse(e.detail, nullptr, false);
  if (detail.is_discarded()) detail = json::object();
  return {{"seq", e.seq},
          {"at", time_text(e.at_ms)},
          {"actor", e.actor},
          {"action", e.action},
          {"case_id", e.case_id},
          {"conversation_id", e.conversation_id},
          {"detail", std::move(detail)}};
}

json event_json(std::string_view event_id, std::string_view type, const CaseSummary& s, const Decision* decision,
                int64_t now_ms) {
  json j = {{"id", event_id}, {"type", type}, {"created_at", time_text(now_ms)}, {"case", summary_json(s)}};
  if (decision) j["decision"] = decision_json(*decision);
  return j;
}

std::string hits_text(const std::vector<CaseHit>& hits) {
  json a = json::array();
  for (const CaseHit& h : hits) a.push_back(hit_json(h));
  return dump_json(a);
}

bool hits_from_text(std::string_view text, std::vector<CaseHit>& out) {
  out.clear();
  json a = json::parse(text, nullptr, false);
  if (!a.is_array()) return false;
  for (const json& h : a) {
    if (!h.is_object()) return false;
    CaseHit c;
    c.rule = h.value("rule", "");
    c.stage = h.value("stage", "");
    c.description = h.value("description", "");
    c.language = h.value("language", "");
    c.start = h.value("start", 0u);
    c.end = h.value("end", 0u);
    c.age = h.value("age", -1);
    c.shadow = h.value("shadow", false);
    out.push_back(std::move(c));
  }
  return true;
}

std::string stages_text(const std::vector<std::pair<std::string, double>>& stages) {
  json a = json::array();
  for (const auto& [name, value] : stages) a.push_back({name, value});
  return dump_json(a);
}

bool stages_from_text(std::string_view text, std::vector<std::pair<std::string, double>>& out) {
  out.clear();
  json a = json::parse(text, nullptr, false);
  if (!a.is_array()) return false;
  for (const json& s : a) {
    if (!s.is_array() || s.size() != 2 || !s[0].is_string() || !s[1].is_number()) return false;
    out.emplace_back(s[0].get<std::string>(), s[1].get<double>());
  }
  return true;
}

std::string participants_text(const std::vector<CaseParticipant>& ps) {
  json a = json::array();
  for (const CaseParticipant& p : ps) {
    a.push_back({{"id", p.id},
                 {"suspect", p.suspect},
                 {"age_band", static_cast<int>(p.age_band)},
                 {"disclosed_age", p.disclosed_age},
                 {"risk", p.risk},
                 {"messages", p.messages}});
  }
  return dump_json(a);
}

bool participants_from_text(std::string_view text, std::vector<CaseParticipant>& out) {
  out.clear();
  json a = json::parse(text, nullptr, false);
  if (!a.is_array()) return false;
  for (const json& p : a) {
    if (!p.is_object()) return false;
    CaseParticipant c;
    c.id = p.value("id", "");
    c.suspect = p.value("suspect", false);
    const int band = p.value("age_band", 0);
    c.age_band = band >= 0 && band <= 2 ? static_cast<AgeBand>(band) : AgeBand::kUnknown;
    c.disclosed_age = p.value("disclosed_age", -1);
    c.risk = p.value("risk", 0.0);
    c.messages = p.value("messages", 0u);
    out.push_back(std::move(c));
  }
  return true;
}

}  // namespace vigil::cases
