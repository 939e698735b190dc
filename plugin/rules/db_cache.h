// DbCache: the on-disk cache of compiled Hyperscan databases, so a restart or reload
// with unchanged patterns skips the compile (seconds for large packs). One file per key
// (`<key>.hsdb`), holding a SHA-256 of the serialised database before it, so a torn or
// corrupt file is detected, ignored and rewritten. Writes go to a temporary file that is
// renamed into place. A failed write costs only the next start's compile, so it never
// fails a load: it comes back as an error (rules.cache_write_failed, naming the file and
// the reason) for the caller to log and count. Stateless functions; safe across threads
// and processes.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "plugin/common/error.h"
#include "plugin/rules/hs_database.h"

namespace vigil {

// The cache key of a database: SHA-256 of the expressions, ids, flags, mode and
// hs_version().
std::string hs_cache_key(const std::vector<HsExpression>& expressions);

// The cached database for `key` in `dir`, or null (missing, corrupt, or built for
// another Hyperscan or CPU).
HsDatabasePtr hs_cache_load(const std::filesystem::path& dir, const std::string& key);

// Stores `db` under `key`. Errors: rules.cache_write_failed (folder not creatable, file
// not writable, disk full); nothing half-written is left behind.
Status<> hs_cache_store(const std::filesystem::path& dir, const std::string& key, const hs_database_t* db);

}  // namespace vigil
