// What sharebench's open-addressing hash tables share: mmap-table's image, shm-map's segment
// and the dictionary of the processes that own data (strategies/common/dictionary.hpp).
//
// A slot is one 64-bit word: 0 when empty, else the key's fingerprint (the top 16 bits of its
// hash, which a slot index never uses) over the position of its record plus one (so that a
// word is never 0, whatever the fingerprint). A probe skips a slot whose fingerprint differs
// without reading its record, so a lookup of an absent key almost never touches one.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace sharebench {

namespace slot_word {

// Every record position is below this: 48 bits, less the one added.
inline constexpr std::uint64_t kPositionEnd = (std::uint64_t{1} << 48) - 1;

constexpr std::uint64_t fingerprint(std::uint64_t hash) { return hash >> 48; }
constexpr std::uint64_t make(std::uint64_t hash, std::uint64_t position) {
  return fingerprint(hash) << 48 | (position + 1);
}
// Whether the slot may hold the key of this hash (a word's fingerprint is its own top bits).
constexpr bool matches(std::uint64_t word, std::uint64_t hash) { return fingerprint(word) == fingerprint(hash); }
constexpr std::uint64_t position(std::uint64_t word) { return (word & kPositionEnd) - 1; }
// False for a non-empty word without a position: only an untrusted image holds one.
constexpr bool has_position(std::uint64_t word) { return (word & kPositionEnd) != 0; }

}  // namespace slot_word

// Runs apply(i, hash) for i = 0..n-1 in order, hash being table.hash(key(i)). Each chunk of
// 32 is hashed and its home slots prefetched, then the records those slots point to, before
// the first of it is applied: one lookup alone waits for two cache misses in a row, a chunk
// for about two in all. `table` has hash(key), prefetch_slot(hash) and prefetch_record(hash),
// which reads the home slot (in cache by then) and prefetches its record if it may match.
template <typename Table, typename KeyAt, typename Apply>
void apply_prefetched(const Table& table, std::size_t n, KeyAt key, Apply apply) {
  if (n == 1) return apply(0, table.hash(key(0)));  // nothing to overlap: a prefetch only costs
  constexpr std::size_t kChunk = 32;
  std::uint64_t hashes[kChunk];
  for (std::size_t base = 0; base < n; base += kChunk) {
    const std::size_t m = std::min(kChunk, n - base);
    for (std::size_t i = 0; i < m; ++i) {
      hashes[i] = table.hash(key(base + i));
      table.prefetch_slot(hashes[i]);
    }
    for (std::size_t i = 0; i < m; ++i) table.prefetch_record(hashes[i]);
    for (std::size_t i = 0; i < m; ++i) apply(base + i, hashes[i]);
  }
}

}  // namespace sharebench
