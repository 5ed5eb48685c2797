// The dictionary of a process that owns the data and applies every request to it alone:
// socket-manager's server and queue-passing's owner, which therefore differ only in how
// requests reach it. Private to that process: no lock, no atomic.
//
//   slots    a power-of-two array of slot words (common/hash_table.hpp), linear probing,
//            load at most 1/2
//   records  one arena: u32 key size | u32 value size | u32 capacity | key | value, the value
//            given capacity bytes (at least 8), so that a counter, and any value no longer than
//            the record's first, is written in place
//
// A lookup reads one slot and, only if the fingerprint matches, one record: two cache misses
// at most, which a batch of requests overlaps (apply_prefetched) before applying the first.
// The owning process builds it after it is forked, so the memory report charges it to that
// process alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "strategies/dataset.hpp"

namespace sharebench {

class Dictionary {
 public:
  // Preloads every entry of `initial` and every counter (at 0); `initial` must outlive it.
  explicit Dictionary(const Dataset& initial);
  // Back to the initial contents (socket-manager's reset request).
  void reset();
  const Dataset& initial() const { return initial_; }

  std::uint64_t hash(std::string_view key) const;
  // For a batch: the home slot of a hash, then (once that slot is in cache) the record it
  // points to if the fingerprint matches.
  void prefetch_slot(std::uint64_t hash) const { __builtin_prefetch(&slots_[hash & mask_]); }
  void prefetch_record(std::uint64_t hash) const;

  // A view of the stored value, valid until the next put, add or reset; false if absent.
  bool get(std::string_view key, std::uint64_t hash, std::string_view& value) const;
  void put(std::string_view key, std::uint64_t hash, std::string_view value);
  // A counter is an 8-byte value (a native int64) that wraps around as an atomic add does; an
  // absent key becomes a counter at 0. False, and nothing changes, if the key holds a value of
  // another size.
  bool add(std::string_view key, std::uint64_t hash, std::int64_t delta, std::int64_t& result);

  bool get(std::string_view key, std::string_view& value) const { return get(key, hash(key), value); }
  void put(std::string_view key, std::string_view value) { put(key, hash(key), value); }
  bool add(std::string_view key, std::int64_t delta, std::int64_t& result) {
    return add(key, hash(key), delta, result);
  }

  std::size_t size() const { return size_; }

 private:
  // The slot holding `key`, or the empty slot where it would go.
  std::uint64_t* find_slot(std::string_view key, std::uint64_t hash);
  const std::uint64_t* find_slot(std::string_view key, std::uint64_t hash) const;
  // Stores into the slot find_slot() returned; may grow the table, which moves every slot.
  void store(std::uint64_t* slot, std::string_view key, std::uint64_t hash, std::string_view value);
  void grow();

  const Dataset& initial_;
  std::vector<std::uint64_t> slots_;
  std::uint64_t mask_ = 0;
  std::string arena_;
  std::size_t size_ = 0;
};

}  // namespace sharebench
