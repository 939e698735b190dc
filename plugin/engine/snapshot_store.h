// SnapshotStore: the scorer snapshots on disk, so a restart resumes every conversation.
// One SQLite file, data_dir/vigil.db, in WAL mode; table `scorer_snapshots` holds one
// row per conversation: its key (the 64-bit hash of conversation_id), the
// ConversationState in its encode() form, the stage layout its evidence is indexed by
// (stage names, so a reordered stages.yaml is remapped by name on restore), the
// participants' sender ids (length-prefixed, participant_name()'s form), and when it
// was last seen. Table `meta` keeps the secret key of the id hashes (IdHasher) so the
// hashes in snapshots stay valid across restarts. No message text is ever written here.
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
  // Opens (creating when absent) dir/vigil.db. `layout` is the stage layout written for
  // rows that carry none.
  // `max_bytes` > 0 caps the file's size (SQLite max_page_count); past it writes fail
  // as on a full disk.
  static Result<std::unique_ptr<SnapshotStore>> open(const std::filesystem::path& dir, const std::string& layout,
                                                      int64_t max_bytes = 0);
  ~SnapshotStore();
  SnapshotStore(const SnapshotStore&) = delete;
  SnapshotStore& operator=(const SnapshotStore&) = delete;

  // Deletes `deleted`, then writes `rows`, in one transaction; all or nothing.
  Status<> write(const std::vector<SnapshotRow>& rows, const std::vector<uint64_t>& deleted);
  // Calls f(SnapshotRow&&) for every snapshot, most recently seen first, each with the
  // layout it was written in; returns how many rows were skipped (another format, or a
  // state that does not decode).
  Result<size_t> load(const std::function<bool(SnapshotRow&&)>& f);
  // The key of the id hashes kept in this store (created at random on first open).
  IdHasher id_hasher() const { return id_hasher_; }

 private:
  SnapshotStore() = default;
  Status<> exec(const char* sql);
  Status<> load_id_key();
  Error sql_error(const char* what) const;

  sqlite3* db_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;
  sqlite3_stmt* erase_ = nullptr;
  std::string layout_;
  IdHasher id_hasher_;
  std::string encoded_;  // write()'s scratch for one state
};

}  // namespace vigil
