// The case lifecycle as pure functions, so every CaseStore backend applies the same
// rules (server/README.md, "Cases"):
//   - a conversation without a case opens one when a verdict reaches review or urgent;
//   - while its case is not closed, every later message joins it; the case's level is
//     raised to urgent when a verdict is urgent (event case.escalated);
//   - one case per conversation at a time: a closed case (confirmed or dismissed) is
//     reopened, not duplicated, and only by new evidence that crosses the threshold
//     again: a message with a scored hit whose verdict is review or urgent. A sticky
//     high risk alone (no new hit) does not reopen it.
//   - decisions: confirm -> confirmed, dismiss -> dismissed, escalate -> escalated;
//     a closed case takes no decision, an escalated one no second escalate.
#pragma once

#include <optional>
#include <string_view>

#include "server/cases/case_types.h"

namespace vigil::cases {

enum class MessageAction : uint8_t { kIgnore, kOpen, kJoin, kReopen };

// What a scored message does to its conversation's latest case (`status` nullopt when
// the conversation has none).
inline MessageAction on_message(std::optional<CaseStatus> status, Level verdict_level, bool new_evidence) {
  const bool flagged = verdict_level >= Level::kReview;
  if (!status) return flagged ? MessageAction::kOpen : MessageAction::kIgnore;
  if (!is_closed(*status)) return MessageAction::kJoin;
  return flagged && new_evidence ? MessageAction::kReopen : MessageAction::kIgnore;
}

// True when the message raises the case to urgent (webhook case.escalated). A case that
// opens at urgent reports case.opened only.
inline bool raises_to_urgent(MessageAction action, Level case_level, Level verdict_level) {
  return action != MessageAction::kIgnore && action != MessageAction::kOpen && verdict_level == Level::kUrgent &&
         case_level < Level::kUrgent;
}

// The status a decision leads to, or nullopt when the case in `from` cannot take it.
inline std::optional<CaseStatus> decision_target(CaseStatus from, std::string_view decision) {
  if (is_closed(from)) return std::nullopt;
  if (decision == "confirm") return CaseStatus::kConfirmed;
  if (decision == "dismiss") return CaseStatus::kDismissed;
  if (decision == "escalate" && from != CaseStatus::kEscalated) return CaseStatus::kEscalated;
  return std::nullopt;
}

}  // namespace vigil::cases
