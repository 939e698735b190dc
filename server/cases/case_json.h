// JSON forms of the case model (server/README.md, "Cases" lists every key):
//   summary_json   one entry of GET /v1/cases
//   case_json      GET /v1/cases/{id}: the summary's keys plus participants, messages
//                  (each with its hits and their byte spans into the original text),
//                  timeline (one point per scored message) and decisions
//   event_json     a webhook event body
// and the storage forms of hits, stages and participants (the SQLite store keeps them
// as JSON text). Times are RFC 3339 UTC with milliseconds. Pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "plugin/common/error.h"
#include "server/cases/case_types.h"

namespace vigil::cases {

nlohmann::json summary_json(const CaseSummary& s);
nlohmann::json case_json(const CaseRecord& c);
nlohmann::json hit_json(const CaseHit& h);
nlohmann::json decision_json(const Decision& d);
nlohmann::json audit_json(const AuditEntry& e);

// A webhook event: {"id", "type", "created_at", "case": summary_json, "decision"?}.
// `decision` may be null.
nlohmann::json event_json(std::string_view event_id, std::string_view type, const CaseSummary& s,
                          const Decision* decision, int64_t now_ms);

// Storage forms; the readers return false on text they did not write.
std::string hits_text(const std::vector<CaseHit>& hits);
bool hits_from_text(std::string_view text, std::vector<CaseHit>& out);
std::string stages_text(const std::vector<std::pair<std::string, double>>& stages);
bool stages_from_text(std::string_view text, std::vector<std::pair<std::string, double>>& out);
std::string participants_text(const std::vector<CaseParticipant>& ps);
bool participants_from_text(std::string_view text, std::vector<CaseParticipant>& out);

// Risk rounded to two decimals, as every case JSON shows it.
double round_risk(double risk);

}  // namespace vigil::cases
