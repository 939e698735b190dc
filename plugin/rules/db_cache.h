// DbCache: the on-disk cache of compiled Hyperscan databases, so a restart or reload
// with unchanged patterns skips the compile (seconds for large packs). One file per key
// (`<key>.hsdb`), holding a SHA-256 of the serialised database before it, so a torn or
// corrupt file is detected, ignored and rewritten. Writes go to a temporary file that is
// renamed into place. Stateless functions; safe across threads and processes.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "plugin/rules/hs_database.h"

namespace vigil {

// The cache key of a database: SHA-256 of the expressions, ids, flags, mode and
// hs_version().
std::string hs_cache_key(const std::vector<HsExpression>& expressions);

// The cached database for `key` in `dir`, or null (missing, corrupt, or built for
// another Hyperscan or CPU).
HsDatabasePtr hs_cache_load(const std::filesystem::path& dir, const std::string& key);

// Stores `db` under `key`; failures are ignored (the cache is an optimisation).
void hs_cache_store(const std::filesystem::path& dir, const std::string& key, const hs_database_t* db);

}  // namespace vigil
