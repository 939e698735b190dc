// Statement: one prepared SQLite statement with typed binds and column reads, and the
// error it maps a failed call to. Internal to the SQLite case store; not thread-safe
// (the store holds its lock around every use). Non-copyable.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "plugin/common/error.h"

namespace vigil::cases {

class Statement {
 public:
  // A statement that failed to prepare is !ok(); every step() on it is SQLITE_ERROR.
  Statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) s_ = nullptr;
  }
  ~Statement() { sqlite3_finalize(s_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return s_ != nullptr; }
  Statement& bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Statement& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
  Statement& bind(int i, double v) {
    sqlite3_bind_double(s_, i, v);
    return *this;
  }
  Statement& bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return s_ ? sqlite3_step(s_) : SQLITE_ERROR; }
  // Runs a statement that returns no rows; true when it completed.
  bool run() { return step() == SQLITE_DONE; }
  // Calls read(*this) for each row; true when the rows ran out, false on an error.
  template <class F>
  bool each_row(F&& read) {
    int rc;
    while ((rc = step()) == SQLITE_ROW) read(static_cast<const Statement&>(*this));
    return rc == SQLITE_DONE;
  }

  bool is_null(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  int64_t i64(int c) const { return sqlite3_column_int64(s_, c); }
  double real(int c) const { return sqlite3_column_double(s_, c); }
  std::string text(int c) const {
    const unsigned char* p = sqlite3_column_text(s_, c);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s_, c)) : std::string();
  }

 private:
  sqlite3_stmt* s_ = nullptr;
};

// The store's error for a failed call on db: cases.full (disk full), cases.read_only, or
// cases.io, with what was being done and SQLite's message; ErrorKind::kUnavailable.
inline Error sql_error(sqlite3* db, const std::string& what) {
  const int code = db ? sqlite3_extended_errcode(db) & 0xff : SQLITE_ERROR;
  const char* id = code == SQLITE_FULL ? "cases.full" : code == SQLITE_READONLY ? "cases.read_only" : "cases.io";
  return Error(id, what + ": " + (db ? sqlite3_errmsg(db) : "no database")).as(ErrorKind::kUnavailable);
}

// Runs SQL without results (schema, BEGIN/COMMIT); true on success.
inline bool exec(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

}  // namespace vigil::cases
