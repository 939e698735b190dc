// SnapshotStore: the scorer snapshots on disk, so a restart resumes every conversation.
// One SQLite file, data_dir/vigil.db, in WAL mode; table `scorer_snapshots` holds one
// row per conversation: its key (the 64-bit hash of conversation_id), the
// ConversationState in its encode() form, the stage layout its evidence is indexed by
// (stage names, so a reordered stages.yaml is remapped by name on restore), the
// participants' sender ids (length-prefixed, participant_name()'s form), and when it
// was last seen. Table `meta` keeps the secret key of the id hashes (IdHasher) so the
// hashes in snapshots stay valid across restarts. No message text is ever written here.
//
// The engine's writer commits one transaction per cycle (begin, put in chunks, commit),
// so a crash loses at most the changes of the cycle not yet committed (engine.h states
// the bound). synchronous=NORMAL in WAL mode: a power cut may also lose the last
// transaction, never corrupt the file. Rows are written in key order, so a cycle reads
// and writes each b-tree page once.
//
// Not thread-safe: used by the engine's writer, and by create() before it starts.
// Errors come back as Errors naming the file: store.read_only, store.full, store.corrupt,
// store.io, store.open_failed; the caller counts them and keeps its in-memory state.
// Not copyable, not movable.
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
  // as on a full disk. Proves it can write (a row of `meta`): a store that cannot is an
  // error here (store.read_only names the file), not a surprise at the first flush.
  static Result<std::unique_ptr<SnapshotStore>> open(const std::filesystem::path& dir, const std::string& layout,
                                                     int64_t max_bytes = 0);
  ~SnapshotStore();
  SnapshotStore(const SnapshotStore&) = delete;
  SnapshotStore& operator=(const SnapshotStore&) = delete;

  // Deletes `deleted`, then writes `rows`, in one transaction; all or nothing.
  Status<> write(const std::vector<SnapshotRow>& rows, const std::vector<uint64_t>& deleted);
  // The same in parts: begin(), put() any number of times, then commit() (or rollback()
  // after an error). Nothing is visible, or durable, before commit() returns ok.
  Status<> begin();
  Status<> put(const std::vector<SnapshotRow>& rows, const std::vector<uint64_t>& deleted);
  Status<> commit();
  void rollback();
  // A write that touches the file even with nothing to put: tells whether the store can
  // write again after a failure.
  Status<> probe();
  // Closes and opens the file again (after an I/O error the connection may not recover
  // by itself, e.g. across a remount).
  Status<> reopen();
  // Calls f(SnapshotRow&&) for every snapshot, most recently seen first, each with the
  // layout it was written in; returns how many rows were skipped (another format, or a
  // state that does not decode).
  Result<size_t> load(const std::function<bool(SnapshotRow&&)>& f);
  // The key of the id hashes kept in this store (created at random on first open).
  IdHasher id_hasher() const { return id_hasher_; }

 private:
  SnapshotStore() = default;
  Status<> connect();
  void disconnect();
  Status<> exec(const char* sql);
  Status<> load_id_key();
  Error sql_error(const char* what) const;

  std::string path_;
  int64_t max_bytes_ = 0;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;
  sqlite3_stmt* erase_ = nullptr;
  std::string layout_;
  IdHasher id_hasher_;
  std::string encoded_;                    // write()'s scratch for one state
  std::vector<const SnapshotRow*> order_;  // write()'s rows in key order, reused
};

}  // namespace vigil
