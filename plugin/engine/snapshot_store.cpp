#include "plugin/engine/snapshot_store.h"

#include <sqlite3.h>

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
  const int code = db_ ? sqlite3_extended_errcode(db_) : SQLITE_ERROR;
  const char* msg = db_ ? sqlite3_errmsg(db_) : "cannot open";
  const char* id = (code & 0xff) == SQLITE_FULL       ? "store.full"
                   : (code & 0xff) == SQLITE_READONLY ? "store.read_only"
                                                      : "store.io";
  return Error(id, std::string(what) + ": " + msg);
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
  const std::string path = (dir / "vigil.db").string();
  if (sqlite3_open_v2(path.c_str(), &s->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK)
    return Error("store.open_failed", std::string("cannot open the store: ") + sqlite3_errmsg(s->db_)).at(path);
  sqlite3_busy_timeout(s->db_, 2000);
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", kSchema}) {
    auto st = s->exec(sql);
    if (!st) return Error("store.open_failed", st.error().message).at(path);
  }
  if (max_bytes > 0) {
    const std::string pragma = "PRAGMA max_page_count=" + std::to_string(std::max<int64_t>(1, max_bytes / 4096));
    if (auto st = s->exec(pragma.c_str()); !st) return Error("store.open_failed", st.error().message).at(path);
  }
  if (auto key = s->load_id_key(); !key) return Error("store.open_failed", key.error().message).at(path);
  const char* upsert =
      "INSERT INTO scorer_snapshots(conversation_key, format, layout, state, participants, last_access_ms) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(conversation_key) DO UPDATE SET format=excluded.format, "
      "layout=excluded.layout, state=excluded.state, participants=excluded.participants, "
      "last_access_ms=excluded.last_access_ms";
  if (sqlite3_prepare_v3(s->db_, upsert, -1, SQLITE_PREPARE_PERSISTENT, &s->upsert_, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v3(s->db_, "DELETE FROM scorer_snapshots WHERE conversation_key = ?1", -1,
                         SQLITE_PREPARE_PERSISTENT, &s->erase_, nullptr) != SQLITE_OK)
    return Error("store.open_failed", std::string("cannot prepare statements: ") + sqlite3_errmsg(s->db_)).at(path);
  return s;
}

SnapshotStore::~SnapshotStore() {
  sqlite3_finalize(upsert_);
  sqlite3_finalize(erase_);
  sqlite3_close_v2(db_);
}

Status<> SnapshotStore::write(const std::vector<SnapshotRow>& rows, const std::vector<uint64_t>& deleted) {
  if (rows.empty() && deleted.empty()) return {};
  if (auto st = exec("BEGIN IMMEDIATE"); !st) return st;
  auto fail = [&](const char* what) {
    Error e = sql_error(what);
    exec("ROLLBACK");
    return e;
  };
  for (uint64_t key : deleted) {
    sqlite3_reset(erase_);
    sqlite3_bind_int64(erase_, 1, static_cast<sqlite3_int64>(key));
    if (sqlite3_step(erase_) != SQLITE_DONE) return fail("deleting a snapshot");
  }
  for (const SnapshotRow& r : rows) {
    sqlite3_reset(upsert_);
    sqlite3_bind_int64(upsert_, 1, static_cast<sqlite3_int64>(r.key));
    sqlite3_bind_int(upsert_, 2, kFormat);
    const std::string& layout = r.layout ? r.layout->text : layout_;
    sqlite3_bind_text(upsert_, 3, layout.data(), static_cast<int>(layout.size()), SQLITE_STATIC);
    r.state.encode(encoded_);
    sqlite3_bind_blob(upsert_, 4, encoded_.data(), static_cast<int>(encoded_.size()), SQLITE_STATIC);
    sqlite3_bind_blob(upsert_, 5, r.names.data(), static_cast<int>(r.names.size()), SQLITE_STATIC);
    sqlite3_bind_int64(upsert_, 6, r.last_access_ms);
    if (sqlite3_step(upsert_) != SQLITE_DONE) return fail("writing a snapshot");
  }
  sqlite3_reset(upsert_);
  sqlite3_reset(erase_);
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return fail("committing snapshots");
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
