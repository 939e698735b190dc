// Sha256: incremental SHA-256 (OpenSSL EVP) for content hashes: rules_version and the
// Hyperscan database cache key. Not thread-safe; one per hash. Movable, not copyable.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace vigil {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  // Adds `data`; update_framed adds its length first, so ("ab","c") and ("a","bc")
  // hash differently.
  Sha256& update(std::string_view data);
  Sha256& update_framed(std::string_view data);
  // The lower-case hex digest; the hash cannot be updated afterwards.
  std::string hex();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace vigil
