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

// Bytes [0, n) of p as a little-endian word, zero-padded, for 0 < n < 8: two overlapping
// loads instead of a memcpy of variable size, which is a call.
inline std::uint64_t load_partial(const char* p, std::size_t n) {
  if (n >= 4) {
    std::uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    return lo | std::uint64_t{hi} << (8 * (n - 4));
  }
  const auto byte = [p](std::size_t i) { return std::uint64_t{static_cast<unsigned char>(p[i])}; };
  return byte(0) | byte(n / 2) << (8 * (n / 2)) | byte(n - 1) << (8 * (n - 1));
}

// Whether [a, a + n) and [b, b + n) hold the same bytes; keys are short, and memcmp a call.
inline bool same_bytes(const char* a, const char* b, std::size_t n) {
  if (n > 16) return std::memcmp(a, b, n) == 0;
  if (n >= 8) return load64(a) == load64(b) && load64(a + n - 8) == load64(b + n - 8);
  return n == 0 || load_partial(a, n) == load_partial(b, n);
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
  if (i < size) h = (h ^ mix64(load_partial(data + i, size - i))) * kMul;
  return mix64(h);
}

inline std::uint64_t hash64(std::string_view s, std::uint64_t seed = 0) {
  return hash64(s.data(), s.size(), seed);
}

}  // namespace sharebench
