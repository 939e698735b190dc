#include "plugin/common/hash.h"

#include <sys/random.h>

#include <cstring>
#include <random>

namespace vigil {
namespace {

uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

void sip_round(uint64_t& v0, uint64_t& v1, uint64_t& v2, uint64_t& v3) {
  v0 += v1, v1 = rotl(v1, 13), v1 ^= v0, v0 = rotl(v0, 32);
  v2 += v3, v3 = rotl(v3, 16), v3 ^= v2;
  v0 += v3, v3 = rotl(v3, 21), v3 ^= v0;
  v2 += v1, v1 = rotl(v1, 17), v1 ^= v2, v2 = rotl(v2, 32);
}

}  // namespace

IdHasher IdHasher::random() {
  uint64_t k[2] = {};
  if (getrandom(k, sizeof k, 0) != static_cast<ssize_t>(sizeof k)) {
    std::random_device rd;  // getrandom is there on every supported kernel; this is a fallback
    for (auto& v : k) v = (uint64_t{rd()} << 32) ^ rd();
  }
  return IdHasher(k[0], k[1]);
}

uint64_t IdHasher::operator()(std::string_view id) const {
  uint64_t v0 = 0x736f6d6570736575ull ^ k0_, v1 = 0x646f72616e646f6dull ^ k1_;
  uint64_t v2 = 0x6c7967656e657261ull ^ k0_, v3 = 0x7465646279746573ull ^ k1_;
  const auto* d = reinterpret_cast<const unsigned char*>(id.data());
  const size_t n = id.size();
  const size_t end = n - n % 8;
  for (size_t i = 0; i < end; i += 8) {
    uint64_t m;
    std::memcpy(&m, d + i, 8);
    v3 ^= m;
    sip_round(v0, v1, v2, v3);
    sip_round(v0, v1, v2, v3);
    v0 ^= m;
  }
  uint64_t b = static_cast<uint64_t>(n) << 56;
  for (size_t i = end; i < n; ++i) b |= static_cast<uint64_t>(d[i]) << (8 * (i - end));
  v3 ^= b;
  sip_round(v0, v1, v2, v3);
  sip_round(v0, v1, v2, v3);
  v0 ^= b;
  v2 ^= 0xff;
  for (int r = 0; r < 4; ++r) sip_round(v0, v1, v2, v3);
  const uint64_t h = v0 ^ v1 ^ v2 ^ v3;
  return h ? h : 1;
}

}  // namespace vigil
