#include "strategies/shm_map/shm_table.hpp"

#include <sched.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>

#include "common/cpu.hpp"
#include "common/error.hpp"
#include "common/hash_table.hpp"
#include "common/hash.hpp"

namespace sharebench::shm_map {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kHeaderBytes = sizeof(EntryHeader);
constexpr std::uint64_t kCounterAlignment = 64;  // a counter's line is its own: no false sharing

std::uint64_t pad8(std::uint64_t n) { return (n + 7) & ~std::uint64_t{7}; }

// Shared words are read and written with relaxed atomics: the seqlock orders them.
std::uint64_t load_word(const char* p) {
  return __atomic_load_n(reinterpret_cast<const std::uint64_t*>(p), __ATOMIC_RELAXED);
}
void store_word(char* p, std::uint64_t v) {
  __atomic_store_n(reinterpret_cast<std::uint64_t*>(p), v, __ATOMIC_RELAXED);
}

// Bytes [i*8, i*8+8) of s, zero-padded past its end (without a memcpy of variable size: a call).
std::uint64_t word_of(std::string_view s, std::uint64_t i) {
  const std::uint64_t at = i * 8;
  return s.size() - at >= 8 ? load64(s.data() + at) : load_partial(s.data() + at, s.size() - at);
}

void store_bytes(char* dst, std::string_view bytes, std::uint64_t padded_size) {
  for (std::uint64_t i = 0; i * 8 < padded_size; ++i) {
    store_word(dst + i * 8, i * 8 < bytes.size() ? word_of(bytes, i) : 0);
  }
}

}  // namespace

std::uint64_t slot_count_for(std::uint64_t keys) {
  // Twice the keys: load 1/2 after preloading, and room to insert half as many again.
  return std::bit_ceil(std::max<std::uint64_t>(2 * keys, 64));
}

std::uint64_t segment_size_for(std::uint64_t keys, std::uint64_t payload_bytes, std::uint64_t counters) {
  const std::uint64_t slots = slot_count_for(keys + counters) * sizeof(Slot);
  // Per entry: its header, padding of key and value to 8 bytes, the allocator's block header.
  const std::uint64_t entries = keys * (kHeaderBytes + 16 + 32) + payload_bytes;
  const std::uint64_t counter_bytes = counters * 4 * kCounterAlignment;
  // A quarter more for puts of larger values, and a fixed MiB for the segment manager.
  return (slots + entries + counter_bytes) / 4 * 5 + (std::uint64_t{1} << 20);
}

ShmTable::ShmTable(Segment& segment, TableHeader* header, std::chrono::milliseconds lock_timeout)
    : segment_(&segment),
      header_(header),
      slots_(static_cast<Slot*>(segment.get_address_from_handle(header->slots))),
      mask_(header->slot_count - 1),
      hash_seed_(header->hash_seed),
      base_(static_cast<char*>(segment.get_address())),
      segment_size_(segment.get_size()),
      lock_timeout_(lock_timeout) {}

ShmTable ShmTable::create(Segment& segment, std::uint64_t slot_count, std::chrono::milliseconds lock_timeout) {
  void* slots = segment.allocate_aligned(slot_count * sizeof(Slot), 64, std::nothrow);
  if (slots == nullptr) {
    throw Error("shm-map: segment of " + std::to_string(segment.get_size()) + " bytes cannot hold " +
                std::to_string(slot_count) + " slots: raise --shm-size");
  }
  Slot* s = static_cast<Slot*>(slots);
  for (std::uint64_t i = 0; i < slot_count; ++i) new (&s[i]) Slot{};
  TableHeader* header = segment.construct<TableHeader>(kHeaderName)();
  header->slot_count = slot_count;
  header->max_keys = slot_count / 4 * 3;
  header->hash_seed = 0x73686d2d6d617021ULL;
  header->slots = segment.get_handle_from_address(slots);
  return ShmTable(segment, header, lock_timeout);
}

ShmTable ShmTable::open(Segment& segment, std::chrono::milliseconds lock_timeout) {
  TableHeader* header = segment.find<TableHeader>(kHeaderName).first;
  if (header == nullptr) throw Error("shm-map: the segment holds no table");
  return ShmTable(segment, header, lock_timeout);
}

[[noreturn]] void ShmTable::corrupt(std::string_view key) const {
  throw Error("shm-map: corrupt entry for key '" + std::string(key) + "'");
}

void ShmTable::wait_while_locked(const Slot& slot, std::uint64_t& seq, const char* what) const {
  const auto deadline = Clock::now() + lock_timeout_;
  for (std::uint64_t spins = 1; seq & 1; ++spins) {
    if (spins % 64 == 0) {
      ::sched_yield();  // the holder may be waiting for this CPU
      if (Clock::now() > deadline) {
        throw Error(std::string("shm-map: a slot stayed locked for more than ") +
                    std::to_string(lock_timeout_.count()) + " ms during " + what +
                    " (a writer died holding it?)");
      }
    } else {
      cpu_relax();
    }
    seq = slot.seq.load(std::memory_order_acquire);
  }
}

ShmTable::Found ShmTable::read_entry(std::uint64_t entry_word, std::string_view key, std::string* value_out,
                                     std::uint32_t* flags) const {
  const std::uint64_t offset = slot_word::position(entry_word);
  if (!slot_word::has_position(entry_word) || offset + kHeaderBytes > segment_size_) return Found::retry;
  const char* e = base_ + offset;
  const std::uint64_t h0 = load_word(e);
  const std::uint64_t h1 = load_word(e + 8);
  const auto key_size = static_cast<std::uint32_t>(h0);
  const auto capacity = static_cast<std::uint32_t>(h0 >> 32);
  const auto value_size = static_cast<std::uint32_t>(h1);
  if (offset + kHeaderBytes + pad8(key_size) + capacity > segment_size_ || value_size > capacity) {
    return Found::retry;
  }
  if (key_size != key.size()) return Found::no;
  const char* k = e + kHeaderBytes;
  for (std::uint64_t i = 0; i * 8 < key_size; ++i) {
    if (load_word(k + i * 8) != word_of(key, i)) return Found::no;
  }
  if (flags != nullptr) *flags = static_cast<std::uint32_t>(h1 >> 32);
  if (value_out != nullptr) {
    const char* v = k + pad8(key_size);
    value_out->resize(value_size);
    char* out = value_out->data();
    std::uint64_t i = 0;
    for (; i + 8 <= value_size; i += 8) {
      const std::uint64_t w = load_word(v + i);
      std::memcpy(out + i, &w, 8);
    }
    if (i < value_size) {
      const std::uint64_t w = load_word(v + i);
      std::memcpy(out + i, &w, value_size - i);
    }
  }
  return Found::yes;
}

bool ShmTable::get(std::string_view key, std::string& value_out) const {
  return get_hashed(key, hash(key), value_out);
}
void ShmTable::put(std::string_view key, std::string_view value) { put_hashed(key, hash(key), value); }
std::int64_t ShmTable::add(std::string_view key, std::int64_t delta) { return add_hashed(key, hash(key), delta); }

bool ShmTable::get_hashed(std::string_view key, std::uint64_t hash, std::string& value_out) const {
  for (std::uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    for (;;) {
      std::uint64_t seq = slot.seq.load(std::memory_order_acquire);
      if (seq & 1) wait_while_locked(slot, seq, "get");
      const std::uint64_t e = slot.entry.load(std::memory_order_acquire);
      if (e == 0) return false;  // the first empty slot ends the probe: absent
      if (!slot_word::matches(e, hash)) break;  // this slot belongs to another key, forever
      const Found found = read_entry(e, key, &value_out, nullptr);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (slot.seq.load(std::memory_order_relaxed) != seq) continue;  // a writer came by: retry
      if (found == Found::retry) corrupt(key);
      if (found == Found::yes) return true;
      break;
    }
  }
}

std::uint64_t ShmTable::new_entry(std::string_view key, std::string_view value, std::uint32_t flags,
                                  std::uint64_t hash) {
  const std::uint64_t capacity = pad8(std::max<std::uint64_t>(value.size(), 8));
  std::uint64_t bytes = kHeaderBytes + pad8(key.size()) + capacity;
  void* p;
  if (flags & kCounterEntry) {
    bytes = (bytes + kCounterAlignment - 1) / kCounterAlignment * kCounterAlignment;
    p = segment_->allocate_aligned(bytes, kCounterAlignment, std::nothrow);
  } else {
    p = segment_->allocate(bytes, std::nothrow);
  }
  if (p == nullptr) {
    throw Error("shm-map: segment full (" + std::to_string(segment_size_) + " bytes, " +
                std::to_string(segment_->get_free_memory()) + " free): raise --shm-size");
  }
  char* e = static_cast<char*>(p);
  store_word(e, key.size() | capacity << 32);
  store_word(e + 8, value.size() | std::uint64_t{flags} << 32);
  store_bytes(e + kHeaderBytes, key, pad8(key.size()));
  store_bytes(e + kHeaderBytes + pad8(key.size()), value, capacity);
  const auto offset = static_cast<std::uint64_t>(segment_->get_handle_from_address(p));
  return slot_word::make(hash, offset);
}

bool ShmTable::insert_into(Slot& slot, std::uint64_t seq, std::string_view key, std::string_view value,
                           std::uint32_t flags, std::uint64_t hash) {
  if (!slot.seq.compare_exchange_strong(seq, seq + 1, std::memory_order_acquire)) return false;
  std::atomic_thread_fence(std::memory_order_release);
  try {
    if (header_->key_count.fetch_add(1, std::memory_order_relaxed) >= header_->max_keys) {
      header_->key_count.fetch_sub(1, std::memory_order_relaxed);
      throw Error("shm-map: table full (" + std::to_string(header_->max_keys) +
                  " keys, 3/4 of its slots); it is sized for twice the preloaded keys");
    }
    slot.entry.store(new_entry(key, value, flags, hash), std::memory_order_release);
  } catch (...) {
    slot.seq.store(seq + 2, std::memory_order_release);
    throw;
  }
  slot.seq.store(seq + 2, std::memory_order_release);
  return true;
}

void ShmTable::put_hashed(std::string_view key, std::uint64_t hash, std::string_view value) {
  if (value.size() > UINT32_MAX / 2) throw Error("shm-map: value of " + std::to_string(value.size()) + " bytes is too large");
  for (std::uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
    Slot& slot = slots_[i];
    for (;;) {
      std::uint64_t seq = slot.seq.load(std::memory_order_acquire);
      if (seq & 1) wait_while_locked(slot, seq, "put");
      std::uint64_t e = slot.entry.load(std::memory_order_acquire);
      if (e == 0) {
        if (insert_into(slot, seq, key, value, 0, hash)) return;
        continue;
      }
      if (!slot_word::matches(e, hash)) break;
      std::uint32_t flags = 0;
      const Found found = read_entry(e, key, nullptr, &flags);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (slot.seq.load(std::memory_order_relaxed) != seq) continue;
      if (found == Found::retry) corrupt(key);
      if (found == Found::no) break;
      if (flags & kCounterEntry) {
        throw Error("shm-map: put on key '" + std::string(key) + "', which is a counter (use add)");
      }
      if (!slot.seq.compare_exchange_strong(seq, seq + 1, std::memory_order_acquire)) continue;
      std::atomic_thread_fence(std::memory_order_release);  // seq is odd before any data changes
      e = slot.entry.load(std::memory_order_relaxed);
      char* entry = base_ + slot_word::position(e);
      const std::uint64_t h0 = load_word(entry);
      const auto capacity = static_cast<std::uint32_t>(h0 >> 32);
      const std::uint64_t key_bytes = pad8(static_cast<std::uint32_t>(h0));
      std::uint64_t old_entry = 0;
      if (value.size() <= capacity) {
        store_bytes(entry + kHeaderBytes + key_bytes, value, pad8(value.size()));
        store_word(entry + 8, value.size());
      } else {
        try {
          slot.entry.store(new_entry(key, value, 0, hash), std::memory_order_release);
        } catch (...) {
          slot.seq.store(seq + 2, std::memory_order_release);
          throw;
        }
        old_entry = e;
      }
      slot.seq.store(seq + 2, std::memory_order_release);
      // A reader may still be copying the old entry; if the allocator reuses it the reader's
      // seq check fails and it retries, and every read it makes stays inside the segment.
      if (old_entry != 0) segment_->deallocate(base_ + slot_word::position(old_entry));
      return;
    }
  }
}

std::int64_t ShmTable::add_hashed(std::string_view key, std::uint64_t hash, std::int64_t delta) {
  for (std::uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
    Slot& slot = slots_[i];
    for (;;) {
      std::uint64_t seq = slot.seq.load(std::memory_order_acquire);
      if (seq & 1) wait_while_locked(slot, seq, "add");
      const std::uint64_t e = slot.entry.load(std::memory_order_acquire);
      if (e == 0) {
        const std::int64_t zero = 0;
        insert_into(slot, seq, key, std::string_view(reinterpret_cast<const char*>(&zero), 8), kCounterEntry, hash);
        continue;  // inserted by us or by another writer: look again
      }
      if (!slot_word::matches(e, hash)) break;
      std::uint32_t flags = 0;
      const Found found = read_entry(e, key, nullptr, &flags);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (slot.seq.load(std::memory_order_relaxed) != seq) continue;
      if (found == Found::retry) corrupt(key);
      if (found == Found::no) break;
      if (!(flags & kCounterEntry)) {
        throw Error("shm-map: add on key '" + std::string(key) + "', which holds a value, not a counter");
      }
      // A counter entry never moves or changes its key, so no lock is needed: one atomic add.
      char* value = base_ + slot_word::position(e) + kHeaderBytes + pad8(key.size());
      return __atomic_add_fetch(reinterpret_cast<std::int64_t*>(value), delta, __ATOMIC_ACQ_REL);
    }
  }
}

void ShmTable::create_counter(std::string_view key) { add(key, 0); }

}  // namespace sharebench::shm_map
