// SnapshotStore: the scorer snapshots on disk, so a restart resumes every conversation.
// One SQLite file, data_dir/vigil.db, in WAL mode; table `scorer_snapshots` holds one
// row per conversation: its key (the 64-bit hash of conversation_id), the fixed-size
// ConversationState as a blob, the participants' sender ids, and when it was last seen.
// No message text is ever written here.
//
// The engine writes in batches, one transaction each (flush_interval apart), so a crash
// loses at most the changes since the last committed batch: one flush interval.
// synchronous=NORMAL in WAL mode: a power cut may also lose the last transaction, never
// corrupt the file.
//
// Not thread-safe: used by the engine's flush thread, and by create() before it starts.
// Errors (disk full, read-only file, I/O) come back as Errors; the caller counts them
// and keeps its in-memory state. Not copyable, not movable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "plugin/common/error.h"
#include "plugin/engine/conversation_table.h"

struct sqlite3;
struct sqlite3_stmt;

namespace vigil {

class SnapshotStore {
 public:
  // Opens (creating when absent) dir/vigil.db. `layout` names the stage list the
  // snapshots are indexed by; snapshots of another layout are not loaded.
  // `max_bytes` > 0 caps the file's size (SQLite max_page_count); past it writes fail
  // as on a full disk.
  static Result<std::unique_ptr<SnapshotStore>> open(const std::filesystem::path& dir, const std::string& layout,
                                                      int64_t max_bytes = 0);
  ~SnapshotStore();
  SnapshotStore(const SnapshotStore&) = delete;
  SnapshotStore& operator=(const SnapshotStore&) = delete;

  // Deletes `deleted`, then writes `rows`, in one transaction; all or nothing.
  Status<> write(const std::vector<SnapshotRow>& rows, const std::vector<uint64_t>& deleted);
  // Calls f(SnapshotRow&&) for every snapshot of the current layout, most recently seen
  // first; returns how many rows were skipped (other layout or size).
  Result<size_t> load(const std::function<bool(SnapshotRow&&)>& f);

 private:
  SnapshotStore() = default;
  Status<> exec(const char* sql);
  Error sql_error(const char* what) const;

  sqlite3* db_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;
  sqlite3_stmt* erase_ = nullptr;
  std::string layout_;
};

}  // namespace vigil
