// The hash table that lives inside the shm-map segment, readable and writable by every
// process that maps the segment, at whatever address it is mapped.
//
//   slots    open addressing, linear probing, load <= 3/4; 16 bytes each:
//              seq    even: stable; odd: a writer holds the slot; 0: never used
//              entry  the slot word of common/hash_table.hpp: (16-bit fingerprint << 48) |
//                     (offset of the entry in the segment + 1); 0: empty
//   entries  allocated from the segment (Boost.Interprocess best-fit allocator), 8-aligned:
//              EntryHeader, key (padded to 8), value (capacity bytes, a multiple of 8)
//
// Readers are optimistic (seqlock): they read the slot's seq, the entry, then seq again, and
// retry if it moved; they never write a shared line, so reads scale with cores. Writers take
// the slot by a CAS on seq (odd), write, and release it (even). A slot's key never changes
// once set (there are no deletes), so a reader can skip a slot on its fingerprint alone.
// Counters are entries flagged as such, whose 8-byte value is updated by an atomic
// fetch_add without taking the slot: add() is lock-free and never loses an update.
//
// Every shared word is accessed through std::atomic or std::atomic_ref (relaxed where the
// seqlock orders it), so the concurrent reads are not data races.
#pragma once

#include <boost/interprocess/managed_shared_memory.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/hash.hpp"
#include "common/hash_table.hpp"

namespace sharebench::shm_map {

using Segment = boost::interprocess::managed_shared_memory;

struct Slot {
  std::atomic<std::uint64_t> seq;
  std::atomic<std::uint64_t> entry;
};
static_assert(sizeof(Slot) == 16);

struct EntryHeader {
  std::uint32_t key_size;
  std::uint32_t capacity;  // value bytes the entry holds, a multiple of 8
  std::uint32_t value_size;
  std::uint32_t flags;  // kCounterEntry
};
inline constexpr std::uint32_t kCounterEntry = 1;

// Fixed facts about the table, constructed once in the segment under kHeaderName.
struct TableHeader {
  std::uint64_t slot_count;  // a power of two
  std::uint64_t max_keys;  // 3/4 of slot_count: the insert that would pass it fails
  std::uint64_t hash_seed;
  Segment::handle_t slots;  // offset of Slot[slot_count]
  std::atomic<std::uint64_t> key_count;
};
inline constexpr const char* kHeaderName = "sharebench-shm-map";

// Bytes a segment needs for `keys` entries of these sizes plus `counters` counters, with
// headroom for the allocator and for puts of larger values.
std::uint64_t segment_size_for(std::uint64_t keys, std::uint64_t payload_bytes, std::uint64_t counters);
// The slot count the table gets for a dataset of `keys` keys and counters.
std::uint64_t slot_count_for(std::uint64_t keys);

// A view of the table in one process's mapping of the segment.
class ShmTable {
 public:
  // Creates the table (in the coordinator, once) with `slot_count` slots.
  static ShmTable create(Segment& segment, std::uint64_t slot_count, std::chrono::milliseconds lock_timeout);
  // Finds the table created in a segment this process opened.
  static ShmTable open(Segment& segment, std::chrono::milliseconds lock_timeout);

  bool get(std::string_view key, std::string& value_out) const;
  void put(std::string_view key, std::string_view value);
  std::int64_t add(std::string_view key, std::int64_t delta);
  // Creates `key` as a counter at 0 if it does not exist.
  void create_counter(std::string_view key);

  std::uint64_t hash(std::string_view key) const { return hash64(key, hash_seed_); }
  // The slot a lookup of this hash starts at.
  const Slot* home_slot(std::uint64_t hash) const { return &slots_[hash & mask_]; }
  // For a batch (apply_prefetched): the home slot, then (once it is in cache) the entry it
  // points to if its fingerprint matches, the second miss of a lookup.
  void prefetch_slot(std::uint64_t hash) const { __builtin_prefetch(home_slot(hash)); }
  void prefetch_record(std::uint64_t hash) const {
    const std::uint64_t e = slots_[hash & mask_].entry.load(std::memory_order_relaxed);
    if (e != 0 && slot_word::matches(e, hash)) __builtin_prefetch(base_ + slot_word::position(e));
  }
  bool get_hashed(std::string_view key, std::uint64_t hash, std::string& value_out) const;

  enum class Lookup { absent, found, slow };
  // A batch's get, inline: copies the value two whole words at a time into `out` (room for
  // `room` bytes, a multiple of 16; the bytes past *size are not the value's). Only the
  // common case: `slow` where a slot on the probe is locked or moved under the read, a key
  // with the same fingerprint is longer than 16 bytes, the value is larger than `room`, or an
  // entry looks out of bounds; get_hashed() then does it all.
  // get_hashed() out of line cost a get about 120 instructions (two calls, a string resize, a
  // byte-exact key compare and copy) against mmap-table's lookup inlined whole.
  [[gnu::always_inline]] Lookup get_words(std::string_view key, std::uint64_t hash, char* out, std::size_t room,
                                          std::size_t* size) const {
    for (std::uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      const std::uint64_t seq = slot.seq.load(std::memory_order_acquire);
      const std::uint64_t e = slot.entry.load(std::memory_order_acquire);
      if (seq & 1) return Lookup::slow;
      if (e == 0) return Lookup::absent;
      if (!slot_word::matches(e, hash)) continue;  // another key's slot, forever
      const std::uint64_t offset = slot_word::position(e);
      if (!slot_word::has_position(e) || offset + kEntryHeaderBytes + 16 > segment_size_) return Lookup::slow;
      const char* entry = base_ + offset;
      const std::uint64_t h0 = shared_word(entry), h1 = shared_word(entry + 8);
      const auto key_size = static_cast<std::uint32_t>(h0);
      const auto value_size = static_cast<std::uint32_t>(h1);
      const std::uint64_t key_bytes = (std::uint64_t{key_size} + 7) & ~std::uint64_t{7};
      if (key_size != key.size() || key_size > 16 || !stored_key_is(entry + kEntryHeaderBytes, key)) {
        std::atomic_thread_fence(std::memory_order_acquire);
        if (slot.seq.load(std::memory_order_relaxed) != seq || key_size > 16) return Lookup::slow;
        continue;  // the same fingerprint, another key
      }
      // The copy below reads up to 8 bytes past an odd number of words of capacity: still in
      // the segment.
      if (value_size > room || value_size > (h0 >> 32) ||
          offset + kEntryHeaderBytes + key_bytes + (h0 >> 32) + 8 > segment_size_) {
        return Lookup::slow;
      }
      const char* value = entry + kEntryHeaderBytes + key_bytes;
      for (std::size_t w = 0; w < value_size; w += 16) {  // two words a step: half the loop's cost
        const std::uint64_t first = shared_word(value + w), second = shared_word(value + w + 8);
        std::memcpy(out + w, &first, 8);
        std::memcpy(out + w + 8, &second, 8);
      }
      std::atomic_thread_fence(std::memory_order_acquire);
      if (slot.seq.load(std::memory_order_relaxed) != seq) return Lookup::slow;
      *size = value_size;
      return Lookup::found;
    }
  }
  void put_hashed(std::string_view key, std::uint64_t hash, std::string_view value);
  std::int64_t add_hashed(std::string_view key, std::uint64_t hash, std::int64_t delta);

 private:
  ShmTable(Segment& segment, TableHeader* header, std::chrono::milliseconds lock_timeout);

  static constexpr std::uint64_t kEntryHeaderBytes = sizeof(EntryHeader);
  // Shared words are read with relaxed atomics: the seqlock orders them.
  static std::uint64_t shared_word(const char* p) {
    return __atomic_load_n(reinterpret_cast<const std::uint64_t*>(p), __ATOMIC_RELAXED);
  }
  // Whether an entry's stored key (zero-padded to whole words) is `key`, of at most 16 bytes
  // and of the stored size.
  static bool stored_key_is(const char* stored, std::string_view key) {
    const std::size_t n = key.size();
    const auto word = [&](std::size_t at) {
      const std::size_t left = n - at;
      return left >= 8 ? load64(key.data() + at) : load_partial(key.data() + at, left);
    };
    if (n <= 8) return n == 0 || shared_word(stored) == word(0);
    return shared_word(stored) == word(0) && shared_word(stored + 8) == word(8);
  }

  enum class Found { no, yes, retry };
  // Reads the entry at `entry_word` optimistically: compares the key and copies the value.
  Found read_entry(std::uint64_t entry_word, std::string_view key, std::string* value_out,
                   std::uint32_t* flags) const;
  std::uint64_t lock_slot(Slot& slot, std::uint64_t seen) const;  // returns the odd seq, or 0
  void wait_while_locked(const Slot& slot, std::uint64_t& seq, const char* what) const;
  std::uint64_t new_entry(std::string_view key, std::string_view value, std::uint32_t flags,
                          std::uint64_t hash);
  // Inserts into the empty slot whose stable seq is `seq`; false if another writer took it.
  bool insert_into(Slot& slot, std::uint64_t seq, std::string_view key, std::string_view value,
                   std::uint32_t flags, std::uint64_t hash);
  [[noreturn]] void corrupt(std::string_view key) const;

  Segment* segment_;
  TableHeader* header_;
  Slot* slots_;
  std::uint64_t mask_;
  std::uint64_t hash_seed_;
  char* base_;
  std::uint64_t segment_size_;
  std::chrono::milliseconds lock_timeout_;
};

}  // namespace sharebench::shm_map
