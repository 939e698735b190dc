#include "plugin/rules/db_cache.h"

#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

#include "plugin/rules/sha256.h"

namespace vigil {

namespace {

constexpr size_t kDigestHex = 64;

std::filesystem::path cache_file(const std::filesystem::path& dir, const std::string& key) {
  return dir / (key + ".hsdb");
}

}  // namespace

std::string hs_cache_key(const std::vector<HsExpression>& expressions) {
  Sha256 h;
  h.update_framed(hs_version());
  h.update_framed(std::to_string(kHsPatternFlags) + "/" + std::to_string(HS_MODE_BLOCK));
  for (const HsExpression& e : expressions) {
    h.update_framed(std::to_string(e.id));
    h.update_framed(e.expression);
  }
  return h.hex();
}

HsDatabasePtr hs_cache_load(const std::filesystem::path& dir, const std::string& key) {
  if (dir.empty()) return nullptr;
  std::ifstream in(cache_file(dir, key), std::ios::binary);
  if (!in) return nullptr;
  const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (content.size() <= kDigestHex) return nullptr;
  const std::string_view bytes = std::string_view(content).substr(kDigestHex);
  if (Sha256().update(bytes).hex() != std::string_view(content).substr(0, kDigestHex)) return nullptr;
  return hs_deserialize(bytes);
}

Status<> hs_cache_store(const std::filesystem::path& dir, const std::string& key, const hs_database_t* db) {
  if (dir.empty()) return {};
  const std::string bytes = hs_serialize(db);
  if (bytes.empty()) return {};
  auto failed = [](const std::filesystem::path& where, const std::string& why) {
    return Error("rules.cache_write_failed", "cannot write the compiled-rules cache: " + why).at(where.string());
  };
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return failed(dir, ec.message());
  const std::filesystem::path final_path = cache_file(dir, key);
  std::filesystem::path tmp = final_path;
  // Unique per process and call, so concurrent loads never write the same temporary.
  static std::atomic<unsigned> counter{0};
  tmp += ".tmp" + std::to_string(::getpid()) + "." + std::to_string(counter++);
  {
    errno = 0;
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return failed(tmp, errno ? std::strerror(errno) : "cannot create the file");
    out << Sha256().update(bytes).hex() << bytes;
    if (!out.flush()) {
      const std::string why = errno ? std::strerror(errno) : "the write failed";
      out.close();
      std::filesystem::remove(tmp, ec);
      return failed(tmp, why);
    }
  }
  std::filesystem::rename(tmp, final_path, ec);
  if (ec) {
    const std::string why = ec.message();
    std::filesystem::remove(tmp, ec);
    return failed(final_path, why);
  }
  return {};
}

}  // namespace vigil
