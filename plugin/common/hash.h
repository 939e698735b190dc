// Hashes of ids, for every layer that keys state by id (the scorer's conversation
// state, the engine's conversation table). Pure functions apart from IdHasher::random;
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vigil {

// Keyed 64-bit hashes of ids (SipHash-2-4 with a 128-bit secret key). Used for sender
// and message ids, which an attacker chooses: without the key, two ids that collide
// cannot be searched for offline, so neither a forged duplicate (a grooming message
// answered as a repeat, with no hits) nor a sender that takes over another's
// participant slot can be prepared. The key is random per process, or the one saved
// with the store so hashes in snapshots stay valid across restarts. Never returns 0.
class IdHasher {
 public:
  IdHasher() = default;  // key 0: only for tests that need stable values
  IdHasher(uint64_t k0, uint64_t k1) : k0_(k0), k1_(k1) {}
  static IdHasher random();  // from the OS's random source
  uint64_t operator()(std::string_view id) const;
  uint64_t k0() const { return k0_; }
  uint64_t k1() const { return k1_; }

 private:
  uint64_t k0_ = 0, k1_ = 0;
};

// 64-bit FNV-1a with a final mix, never 0 (0 marks an empty slot). Unkeyed: for ids an
// attacker does not choose (rule ids, conversation ids from the platform).
inline uint64_t hash_id(const char* data, size_t size) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i) h = (h ^ static_cast<unsigned char>(data[i])) * 0x100000001b3ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h ? h : 1;
}

}  // namespace vigil
