// Fast 64-bit hashing shared by the table format, the shared-memory map and value checks.
// Not cryptographic: it spreads keys over slots and detects corruption, nothing more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace sharebench {

// MurmurHash3's finalizer: every input bit affects every output bit.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

inline std::uint64_t load64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Hashes eight bytes at a time; the tail is read as one zero-padded word.
inline std::uint64_t hash64(const char* data, std::size_t size, std::uint64_t seed) {
  constexpr std::uint64_t kMul = 0x9e3779b97f4a7c15ULL;
  std::uint64_t h = seed ^ (size * kMul);
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    h = (h ^ mix64(load64(data + i))) * kMul;
    h ^= h >> 29;
  }
  if (i < size) {
    std::uint64_t tail = 0;
    std::memcpy(&tail, data + i, size - i);
    h = (h ^ mix64(tail)) * kMul;
  }
  return mix64(h);
}

inline std::uint64_t hash64(std::string_view s, std::uint64_t seed = 0) {
  return hash64(s.data(), s.size(), seed);
}

}  // namespace sharebench
