// The owner's dictionary: a private open-addressing hash table of byte strings.
//
//   slots    power-of-two array, linear probing, load <= 1/2; 16 bytes each: the key's full
//            64-bit hash (never 0; 0 marks an empty slot) and a pointer to its entry
//   entries  bump-allocated from arena chunks: 16-byte header, key, value (capacity a
//            multiple of 8, so a same-size overwrite is in place)
//
// A lookup reads one slot line and, only if the full hash matches, one entry: two cache misses
// at most, and both can be prefetched for a batch of requests (prefetch_slot, then
// prefetch_entry), which the owner does for every batch of messages it drains.
//
// prepare() builds it in the coordinator, before forking the owner, which inherits it. The
// coordinator then drops its copy with release(): munmaps, no destructor walks a million
// entries, no page is written (so none is copied on write), and the workers forked later
// never map the dictionary, so the memory report charges it to the owner alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "common/os.hpp"
#include "strategies/dataset.hpp"
#include "strategies/queue_passing/message.hpp"

namespace sharebench::queue_passing {

class Dictionary {
 public:
  Dictionary() = default;
  // Preloads every entry of the dataset and every counter (at 0).
  explicit Dictionary(const Dataset& dataset);
  Dictionary(Dictionary&& other) noexcept { swap(other); }
  Dictionary& operator=(Dictionary&& other) noexcept {
    Dictionary gone(std::move(*this));
    swap(other);
    return *this;
  }
  Dictionary(const Dictionary&) = delete;
  Dictionary& operator=(const Dictionary&) = delete;
  ~Dictionary() = default;
  void swap(Dictionary& other) noexcept;

  std::uint64_t hash(std::string_view key) const;
  // Hints for a batch: the home slot of a hash, then (once that slot is in cache) the entry it
  // points to if the hash matches.
  void prefetch_slot(std::uint64_t hash) const { __builtin_prefetch(&slots_[hash >> shift_]); }
  void prefetch_entry(std::uint64_t hash) const;

  // A view of the stored value, valid until the next put/add; false if absent.
  bool get(std::string_view key, std::string_view& value) const { return get(key, hash(key), value); }
  bool get(std::string_view key, std::uint64_t hash, std::string_view& value) const;
  void put(std::string_view key, std::string_view value) { put(key, hash(key), value); }
  void put(std::string_view key, std::uint64_t hash, std::string_view value);
  // A counter is an 8-byte value (a native int64); an absent key becomes a counter at 0.
  // Status::not_a_counter if the key holds a value of another size (nothing changes).
  Status add(std::string_view key, std::int64_t delta, std::int64_t& result) {
    return add(key, hash(key), delta, result);
  }
  Status add(std::string_view key, std::uint64_t hash, std::int64_t delta, std::int64_t& result);

  std::size_t size() const { return size_; }
  std::size_t slot_count() const { return slot_count_; }

  // Unmaps everything: slots and arena. Runs no destructor and touches no entry.
  void release() noexcept;

 private:
  struct Entry;
  struct Slot {
    std::uint64_t hash;  // 0: empty
    Entry* entry;
  };

  // The slot holding `key`, or the empty slot where it would go.
  Slot* find(std::string_view key, std::uint64_t hash) const;
  Entry* new_entry(std::string_view key, std::string_view value, std::size_t capacity);
  void* allocate(std::size_t bytes);
  void insert(Slot* slot, std::uint64_t hash, Entry* entry);
  void resize(std::size_t slot_count);

  Mapping slot_area_;
  Slot* slots_ = nullptr;
  std::size_t slot_count_ = 0;
  unsigned shift_ = 64;  // a hash's home slot is hash >> shift_
  std::size_t size_ = 0;
  std::vector<Mapping> chunks_;  // the arena
  char* next_ = nullptr;
  char* end_ = nullptr;
};

}  // namespace sharebench::queue_passing
