// The case model: what Vigil keeps about a flagged conversation for moderators
// (server/README.md, "Cases"). Plain data; copyable, movable. The JSON forms are in
// case_json.h; the store that keeps them is case_store.h.
//
// Lifecycle (case_lifecycle.h decides, the store applies):
//   open      a conversation first reached review (or urgent); later messages join
//   in_review a moderator took it (POST /v1/cases/{id}/assign)
//   escalated a moderator escalated it (decision "escalate"); messages still join
//   confirmed a moderator confirmed it (closed)
//   dismissed a moderator dismissed it (closed; reopens on new evidence, see lifecycle)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugin/engine/message.h"

namespace vigil::cases {

enum class CaseStatus : uint8_t { kOpen, kInReview, kEscalated, kConfirmed, kDismissed };
inline constexpr CaseStatus kAllStatuses[] = {CaseStatus::kOpen, CaseStatus::kInReview, CaseStatus::kEscalated,
                                              CaseStatus::kConfirmed, CaseStatus::kDismissed};

const char* to_string(CaseStatus s);
// "open" -> kOpen ...; false for an unknown name.
bool parse_status(std::string_view text, CaseStatus& out);
// Confirmed and dismissed cases are closed: only new evidence brings them back.
inline bool is_closed(CaseStatus s) { return s == CaseStatus::kConfirmed || s == CaseStatus::kDismissed; }

// "none" "watch" "review" "urgent" -> Level; false for an unknown name.
bool parse_level(std::string_view text, Level& out);

// One hit in one message: the rule, its stage and description as they were when the
// message was scored, and the byte span in the original text.
struct CaseHit {
  std::string rule;
  std::string stage;
  std::string description;
  std::string language;
  uint32_t start = 0;
  uint32_t end = 0;
  int32_t age = -1;  // age_signal hits: the captured age
  bool shadow = false;
};

// One message of a case, in arrival order. `context`: it was held in memory before the
// case opened (its hits recomputed from the text with the rules of the opening).
struct CaseMessage {
  int64_t seq = 0;  // 0, 1, 2 ... within the case
  std::string message_id;
  std::string sender_id;
  std::string text;
  int64_t ts_ms = 0;
  double risk = 0;
  Level level = Level::kNone;
  bool context = false;
  std::vector<std::pair<std::string, double>> stages;  // the suspect's evidence then (empty for context)
  std::vector<CaseHit> hits;
  std::string hash;  // SHA-256 chain link (evidence_export.h), hex
};

struct CaseParticipant {
  std::string id;
  bool suspect = false;
  AgeBand age_band = AgeBand::kUnknown;
  int32_t disclosed_age = -1;
  double risk = 0;
  uint32_t messages = 0;
};

struct Decision {
  std::string decision;  // confirm | dismiss | escalate
  std::string reason;
  std::string note;
  std::string moderator;  // the token's name
  int64_t at_ms = 0;
  CaseStatus from = CaseStatus::kOpen;
  CaseStatus to = CaseStatus::kOpen;
};

// A case's facts, without its messages (what GET /v1/cases lists).
struct CaseSummary {
  int64_t seq = 0;  // store order; the pagination tie-break
  std::string id;
  std::string conversation_id;
  CaseStatus status = CaseStatus::kOpen;
  Level level = Level::kNone;  // the highest the conversation reached while the case was open
  double risk = 0;             // the highest risk seen
  std::string suspect_id;
  std::string assignee;
  std::string rules_version;  // the rules that opened it
  int64_t opened_ms = 0;
  int64_t updated_ms = 0;
  int64_t closed_ms = 0;  // 0 while not closed
  int64_t version = 1;    // bumped by every assignment and decision (optimistic concurrency)
  uint64_t message_count = 0;
  std::vector<std::string> stages;     // stages with a hit in the case
  std::vector<std::string> languages;  // languages of the rules that hit
};

struct CaseRecord {
  CaseSummary summary;
  std::vector<CaseParticipant> participants;
  std::vector<CaseMessage> messages;
  std::vector<Decision> decisions;
};

// One audit log entry. `actor` is a token's name (never its secret), "anonymous" on a
// server without tokens, or "system" for the server's own acts (purge).
struct AuditEntry {
  int64_t seq = 0;
  int64_t at_ms = 0;
  std::string actor;
  std::string action;  // case.read, case.export, case.assign, case.decision, conversation.erase, case.purge
  std::string case_id;
  std::string conversation_id;
  std::string detail;  // JSON object text
};

}  // namespace vigil::cases
