// SqliteCaseStore: the embedded CaseStore, one SQLite file (data_dir/cases.db, WAL,
// synchronous=FULL so that a commit is on disk before record() returns), or an
// in-memory database when the server keeps no data directory.
//
// One connection behind one mutex: every method is one transaction and they run one
// at a time. A message of a flagged conversation costs one commit (an fsync); the
// unflagged traffic never reaches the store (case_manager.h's fast path).
// Tables: cases, case_messages (text only for conversations with a case), decisions,
// audit (append-only: triggers refuse UPDATE and DELETE), outbox (webhook events).
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/cases/case_store.h"

namespace vigil::cases {

struct SqliteCaseStoreOptions {
  std::filesystem::path file;  // empty: in memory
  // Each event is queued once per URL.
  std::vector<std::string> webhook_urls;
};

class SqliteCaseStore final : public CaseStore {
 public:
  // Creates the file and its tables when absent. Errors: cases.open_failed.
  static Result<std::unique_ptr<SqliteCaseStore>> open(SqliteCaseStoreOptions options);
  ~SqliteCaseStore() override;
  SqliteCaseStore(const SqliteCaseStore&) = delete;
  SqliteCaseStore& operator=(const SqliteCaseStore&) = delete;

  Result<RecordResult> record(const MessageEvent& event) override;
  Result<std::optional<CaseRecord>> get(std::string_view case_id) override;
  Result<CasePage> list(const CaseQuery& query) override;
  Result<CaseSummary> assign(std::string_view case_id, const AssignRequest& request) override;
  Result<CaseSummary> decide(std::string_view case_id, const DecisionRequest& request) override;
  Result<std::vector<std::string>> active_conversations() override;
  Result<bool> has_active_case(std::string_view conversation_id) override;
  Result<EraseResult> erase_conversation(std::string_view conversation_id, bool closed_cases) override;
  Result<std::vector<CaseSummary>> purge(int64_t closed_before_ms, bool dry_run) override;
  Status<> audit(const AuditEntry& entry) override;
  Result<std::vector<AuditEntry>> audit_log(const AuditQuery& query) override;
  Result<std::vector<OutboxItem>> due_webhooks(int64_t now_ms, size_t limit) override;
  Status<> webhook_delivered(int64_t seq, int64_t now_ms) override;
  Status<> webhook_failed(int64_t seq, int64_t next_ms, std::string_view error, bool give_up) override;
  Result<OutboxCounts> outbox_counts() override;
  Result<std::optional<int64_t>> next_webhook_ms() override;

  class Tx;  // the transaction helpers (sqlite_case_store.cpp)

 private:
  SqliteCaseStore() = default;

  SqliteCaseStoreOptions options_;
  sqlite3* db_ = nullptr;
  std::mutex mu_;
};

// A random id: `prefix` and 16 (case) or 24 (event) hex digits from OpenSSL's RNG.
std::string random_id(std::string_view prefix, size_t bytes);

}  // namespace vigil::cases
