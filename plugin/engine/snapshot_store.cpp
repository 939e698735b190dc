#include "plugin/engine/snapshot_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace vigil {
namespace {

// Bumped whenever a row's form changes; rows of another format are skipped. 2: the state
// in ConversationState::encode() form, length-prefixed participant ids, keyed id hashes.
constexpr int kFormat = 2;
constexpr const char* kIdKey = "id_hash_key";

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scorer_snapshots(
  conversation_key INTEGER PRIMARY KEY,  -- 64-bit hash of conversation_id
  format INTEGER NOT NULL,               -- ConversationState layout version
  layout TEXT NOT NULL,                  -- the stage list the evidence is indexed by
  state BLOB NOT NULL,                   -- ConversationState::encode()
  participants BLOB NOT NULL,            -- sender ids in slot order, each LEB128 length + bytes
  last_access_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS scorer_snapshots_by_access ON scorer_snapshots(last_access_ms);
)sql";

}  // namespace

Error SnapshotStore::sql_error(const char* what) const {
  const int code = db_ ? sqlite3_extended_errcode(db_) : SQLITE_CANTOPEN;
  const char* msg = db_ ? sqlite3_errmsg(db_) : "the store is not open";
  const char* id;
  switch (code & 0xff) {
    case SQLITE_FULL:
      id = "store.full";
      break;
    case SQLITE_READONLY:
      id = "store.read_only";
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      id = "store.corrupt";
      break;
    case SQLITE_CANTOPEN:
      id = "store.open_failed";
      break;
    default:
      id = "store.io";
  }
  // What the file system said, when SQLite reports it only as an I/O error.
  if (db_ && sqlite3_system_errno(db_) == EROFS) id = "store.read_only";
  if (db_ && sqlite3_system_errno(db_) == ENOSPC) id = "store.full";
  return Error(id, std::string(what) + ": " + msg).at(path_);
}

Status<> SnapshotStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    Error e = sql_error("store");
    if (err) e.message = std::string("store: ") + err, sqlite3_free(err);
    return e;
  }
  return {};
}

Result<std::unique_ptr<SnapshotStore>> SnapshotStore::open(const std::filesystem::path& dir, const std::string& layout,
                                                           int64_t max_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error("store.open_failed", "cannot create the data directory: " + ec.message()).at(dir.string());
  std::unique_ptr<SnapshotStore> s(new SnapshotStore);
  s->layout_ = layout;
  s->path_ = (dir / "vigil.db").string();
  s->max_bytes_ = max_bytes;
  Status<> st = s->connect();
  // The key once per open: a reopen after a failure keeps the one the engine hashes with.
  if (st) st = s->load_id_key();
  if (st) st = s->probe();
  if (!st) {
    Error e = st.error();
    if (e.code == "store.read_only" || e.code == "store.open_failed")
      e.message += " (the data directory must be writable; --data-dir \"\" keeps state in memory only)";
    return e;
  }
  return s;
}

Status<> SnapshotStore::connect() {
  if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    Error e = sql_error("cannot open the store");
    disconnect();
    return e;
  }
  sqlite3_busy_timeout(db_, 2000);
  // A cycle touches pages all over the file (keys are hashes): a 64 MiB page cache keeps
  // them from spilling mid-transaction, and reads come from the mapping, not pread().
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA cache_size=-65536",
                          "PRAGMA mmap_size=268435456", kSchema}) {
    if (auto st = exec(sql); !st) {
      disconnect();
      return st;
    }
  }
  if (max_bytes_ > 0) {
    const std::string pragma = "PRAGMA max_page_count=" + std::to_string(std::max<int64_t>(1, max_bytes_ / 4096));
    if (auto st = exec(pragma.c_str()); !st) {
      disconnect();
      return st;
    }
  }
  const char* upsert =
      "INSERT INTO scorer_snapshots(conversation_key, format, layout, state, participants, last_access_ms) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(conversation_key) DO UPDATE SET format=excluded.format, "
      "layout=excluded.layout, state=excluded.state, participants=excluded.participants, "
      "last_access_ms=excluded.last_access_ms";
  if (sqlite3_prepare_v3(db_, upsert, -1, SQLITE_PREPARE_PERSISTENT, &upsert_, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v3(db_, "DELETE FROM scorer_snapshots WHERE conversation_key = ?1", -1, SQLITE_PREPARE_PERSISTENT,
                         &erase_, nullptr) != SQLITE_OK) {
    Error e = sql_error("cannot prepare statements");
    disconnect();
    return e;
  }
  return {};
}

void SnapshotStore::disconnect() {
  sqlite3_finalize(upsert_);
  sqlite3_finalize(erase_);
  sqlite3_close_v2(db_);
  upsert_ = erase_ = nullptr;
  db_ = nullptr;
}

SnapshotStore::~SnapshotStore() { disconnect(); }

Status<> SnapshotStore::reopen() {
  disconnect();
  return connect();
}

Status<> SnapshotStore::probe() {
  if (!db_) return sql_error("writing to the store");
  return exec(
      "INSERT INTO meta(key, value) VALUES('probe', strftime('%s','now')) "
      "ON CONFLICT(key) DO UPDATE SET value=excluded.value");
}

Status<> SnapshotStore::begin() {
  if (!db_) return sql_error("starting a transaction");
  return exec("BEGIN IMMEDIATE");
}

void SnapshotStore::rollback() {
  // Called after a failure, which is what gets reported; a ROLLBACK that fails too leaves
  // the connection to the reopen that follows a failed cycle.
  if (db_ && !sqlite3_get_autocommit(db_)) (void)exec("ROLLBACK");
}

Status<> SnapshotStore::commit() {
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return sql_error("committing snapshots");
  return {};
}

Status<> SnapshotStore::write(const std::vector<SnapshotRow>& rows, const std::vector<uint64_t>& deleted) {
  if (rows.empty() && deleted.empty()) return {};
  if (auto st = begin(); !st) return st;
  auto st = put(rows, deleted);
  if (st) st = commit();
  if (!st) rollback();
  return st;
}

Status<> SnapshotStore::put(const std::vector<SnapshotRow>& rows, const std::vector<uint64_t>& deleted) {
  for (uint64_t key : deleted) {
    sqlite3_reset(erase_);
    sqlite3_bind_int64(erase_, 1, static_cast<sqlite3_int64>(key));
    if (sqlite3_step(erase_) != SQLITE_DONE) {
      Error e = sql_error("deleting a snapshot");
      sqlite3_reset(erase_);
      return e;
    }
  }
  // In key order: neighbouring rows share b-tree pages, so each page is read and written
  // once per put instead of once per row.
  order_.clear();
  for (const SnapshotRow& r : rows) order_.push_back(&r);
  std::sort(order_.begin(), order_.end(), [](const SnapshotRow* a, const SnapshotRow* b) {
    return static_cast<int64_t>(a->key) < static_cast<int64_t>(b->key);
  });
  for (const SnapshotRow* row : order_) {
    const SnapshotRow& r = *row;
    sqlite3_reset(upsert_);
    sqlite3_bind_int64(upsert_, 1, static_cast<sqlite3_int64>(r.key));
    sqlite3_bind_int(upsert_, 2, kFormat);
    const std::string& layout = r.layout ? r.layout->text : layout_;
    sqlite3_bind_text(upsert_, 3, layout.data(), static_cast<int>(layout.size()), SQLITE_STATIC);
    r.state.encode(encoded_);
    sqlite3_bind_blob(upsert_, 4, encoded_.data(), static_cast<int>(encoded_.size()), SQLITE_STATIC);
    sqlite3_bind_blob(upsert_, 5, r.names.data(), static_cast<int>(r.names.size()), SQLITE_STATIC);
    sqlite3_bind_int64(upsert_, 6, r.last_access_ms);
    if (sqlite3_step(upsert_) != SQLITE_DONE) {
      Error e = sql_error("writing a snapshot");
      sqlite3_reset(upsert_);
      return e;
    }
  }
  sqlite3_reset(upsert_);
  sqlite3_reset(erase_);
  return {};
}

Status<> SnapshotStore::load_id_key() {
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT value FROM meta WHERE key = ?1", -1, &q, nullptr) != SQLITE_OK)
    return sql_error("reading the id hash key");
  sqlite3_bind_text(q, 1, kIdKey, -1, SQLITE_STATIC);
  std::string hex;
  if (sqlite3_step(q) == SQLITE_ROW)
    if (const auto* v = reinterpret_cast<const char*>(sqlite3_column_text(q, 0))) hex = v;
  sqlite3_finalize(q);
  uint64_t k[2] = {};
  if (hex.size() == 32 && std::sscanf(hex.c_str(), "%16" SCNx64 "%16" SCNx64, &k[0], &k[1]) == 2) {
    id_hasher_ = IdHasher(k[0], k[1]);
    return {};
  }
  // First open (or an unreadable key: the old hashes are lost either way, and the
  // snapshots keyed by them simply stop matching their senders).
  id_hasher_ = IdHasher::random();
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016" PRIx64 "%016" PRIx64, id_hasher_.k0(), id_hasher_.k1());
  // A store that cannot be written (read-only, full) keeps this key for the process: its
  // snapshots cannot be written either, and the flush path reports that.
  if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)", -1, &q, nullptr) == SQLITE_OK) {
    sqlite3_bind_text(q, 1, kIdKey, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, buf, -1, SQLITE_TRANSIENT);
    sqlite3_step(q);
    sqlite3_finalize(q);
  }
  return {};
}

Result<size_t> SnapshotStore::load(const std::function<bool(SnapshotRow&&)>& f) {
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT conversation_key, format, layout, state, participants, last_access_ms "
                         "FROM scorer_snapshots ORDER BY last_access_ms DESC",
                         -1, &q, nullptr) != SQLITE_OK)
    return sql_error("reading snapshots");
  size_t skipped = 0;
  int rc;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    const auto* layout = reinterpret_cast<const char*>(sqlite3_column_text(q, 2));
    const auto* state = static_cast<const char*>(sqlite3_column_blob(q, 3));
    SnapshotRow r;
    if (sqlite3_column_int(q, 1) != kFormat || !layout || !state ||
        !r.state.decode({state, static_cast<size_t>(sqlite3_column_bytes(q, 3))})) {
      ++skipped;
      continue;
    }
    r.layout = intern_stage_layout(std::string_view(layout));
    r.key = static_cast<uint64_t>(sqlite3_column_int64(q, 0));
    const auto* names = static_cast<const char*>(sqlite3_column_blob(q, 4));
    r.names.assign(names ? names : "", static_cast<size_t>(sqlite3_column_bytes(q, 4)));
    r.last_access_ms = sqlite3_column_int64(q, 5);
    if (!f(std::move(r))) ++skipped;
  }
  sqlite3_finalize(q);
  if (rc != SQLITE_DONE) return sql_error("reading snapshots");
  return skipped;
}

}  // namespace vigil
