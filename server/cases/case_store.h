// CaseStore: where cases, their messages and decisions, the audit log and the webhook
// outbox live. One interface so that a PostgreSQL backend can follow the embedded
// SQLite one (sqlite_case_store.h) when a platform runs many sidecars.
//
// Contract for every backend:
//   - each method is one transaction: when it returns ok, what it wrote is durable (it
//     survives kill -9 of the process) and visible to every later call;
//   - the lifecycle rules are case_lifecycle.h's, applied inside record()'s transaction,
//     so a message and a decision racing on one case never interleave;
//   - webhook events (case.opened, case.escalated, case.decided) are written to the
//     outbox in the same transaction as the change they report;
//   - the audit log is append-only: no method changes or removes an entry.
// Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/common/error.h"
#include "server/cases/case_types.h"

namespace vigil::cases {

// One scored message of a conversation, as the case manager hands it to the store.
struct MessageEvent {
  std::string conversation_id;
  CaseMessage message;  // with its hits; seq and hash are the store's to set
  double risk = 0;
  Level level = Level::kNone;
  std::string suspect_id;
  std::string rules_version;
  bool new_evidence = false;                  // the message has a scored (non-shadow) hit
  bool duplicate = false;                     // a repeated message_id: joins nothing, answers the case id
  std::vector<CaseParticipant> participants;  // the conversation's participants now
  std::vector<CaseMessage> context;           // the messages before it, used if a case opens
  int64_t now_ms = 0;
};

struct RecordResult {
  std::string case_id;              // empty: the message belongs to no case
  bool active = false;              // the conversation has a case that is not closed
  std::vector<std::string> events;  // webhook event types written ("case.opened" ...)
};

enum class SortKey : uint8_t { kRisk, kOpened, kUpdated };

struct CaseQuery {
  std::vector<CaseStatus> statuses;     // empty: any
  std::optional<Level> level;           // exactly this level
  std::string stage;                    // a hit in this stage
  std::string language;                 // a hit from a rule of this language
  std::optional<std::string> assignee;  // "" = unassigned
  int64_t opened_from_ms = 0;           // opened at or after; 0: no bound
  int64_t opened_to_ms = 0;             // opened before; 0: no bound
  SortKey sort = SortKey::kRisk;
  bool descending = true;
  size_t limit = 50;
  std::string cursor;  // from the previous page's next_cursor
};

struct CasePage {
  std::vector<CaseSummary> cases;
  std::string next_cursor;                              // empty on the last page
  std::vector<std::pair<CaseStatus, uint64_t>> counts;  // per status, over the query without its status filter
};

struct AuditQuery {
  std::string case_id;
  std::string actor;
  std::string action;
  int64_t after_seq = 0;  // cursor: entries after this one
  size_t limit = 100;
};

// What assign() and decide() refuse with, as error codes:
//   case.not_found (404), case.conflict (409: the version moved, or the case is already
//   decided that way / closed), case.assigned (409: taken by another moderator).
struct AssignRequest {
  std::string assignee;
  std::string actor;
  bool force = false;
  int64_t expected_version = 0;  // 0: not checked
  int64_t now_ms = 0;
};

struct DecisionRequest {
  Decision decision;  // decision, reason, note, moderator, at_ms; from/to set by the store
  int64_t expected_version = 0;
};

struct EraseResult {
  std::vector<std::string> kept;     // cases still held (open, or closed but not asked to go)
  std::vector<std::string> deleted;  // closed cases removed with their messages
};

struct OutboxItem {
  int64_t seq = 0;
  std::string event_id;  // the idempotency key
  std::string type;
  std::string url;
  std::string body;
  int attempts = 0;
};

struct OutboxCounts {
  uint64_t pending = 0;
  uint64_t delivered = 0;
  uint64_t failed = 0;  // gave up after max_attempts
};

class CaseStore {
 public:
  virtual ~CaseStore() = default;

  // Applies the lifecycle to one scored message: opens, joins, raises, reopens or
  // ignores. Durable when it returns.
  virtual Result<RecordResult> record(const MessageEvent& event) = 0;

  virtual Result<std::optional<CaseRecord>> get(std::string_view case_id) = 0;
  virtual Result<CasePage> list(const CaseQuery& query) = 0;
  virtual Result<CaseSummary> assign(std::string_view case_id, const AssignRequest& request) = 0;
  virtual Result<CaseSummary> decide(std::string_view case_id, const DecisionRequest& request) = 0;

  // Conversation ids with a case that is not closed (the manager's fast path).
  virtual Result<std::vector<std::string>> active_conversations() = 0;
  virtual Result<bool> has_active_case(std::string_view conversation_id) = 0;

  // Deletes the conversation's closed cases when `closed_cases`; open ones are kept.
  virtual Result<EraseResult> erase_conversation(std::string_view conversation_id, bool closed_cases) = 0;
  // Closed cases closed before `closed_before_ms`; removed unless `dry_run`.
  virtual Result<std::vector<CaseSummary>> purge(int64_t closed_before_ms, bool dry_run) = 0;

  virtual Status<> audit(const AuditEntry& entry) = 0;
  virtual Result<std::vector<AuditEntry>> audit_log(const AuditQuery& query) = 0;

  // The webhook outbox: pending items due at `now_ms`, oldest first.
  virtual Result<std::vector<OutboxItem>> due_webhooks(int64_t now_ms, size_t limit) = 0;
  virtual Status<> webhook_delivered(int64_t seq, int64_t now_ms) = 0;
  // A failed attempt: retried at next_ms, or given up for good when `give_up`.
  virtual Status<> webhook_failed(int64_t seq, int64_t next_ms, std::string_view error, bool give_up) = 0;
  virtual Result<OutboxCounts> outbox_counts() = 0;
  // The earliest next attempt of a pending item, or nullopt when none is pending.
  virtual Result<std::optional<int64_t>> next_webhook_ms() = 0;
};

}  // namespace vigil::cases
