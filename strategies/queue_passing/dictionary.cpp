#include "strategies/queue_passing/dictionary.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <string>

#include "common/error.hpp"
#include "common/hash.hpp"

namespace sharebench::queue_passing {
namespace {

constexpr std::size_t kMinSlots = 64;
constexpr std::size_t kMinChunk = 16u << 20;

std::size_t round8(std::size_t n) { return (n + 7) & ~std::size_t{7}; }

// Private anonymous memory, zero-filled; pages never touched cost nothing (MAP_NORESERVE).
Mapping private_anonymous(std::size_t size, const char* what) {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw_errno(std::string("queue-passing: mmap of ") + std::to_string(size) + " bytes for " + what);
  return Mapping(p, size);
}

}  // namespace

struct Dictionary::Entry {
  std::uint32_t key_size;
  std::uint32_t value_size;
  std::uint32_t capacity;  // value bytes, a multiple of 8
  std::uint32_t unused;
  char* key() { return reinterpret_cast<char*>(this + 1); }
  char* value() { return key() + round8(key_size); }
  std::string_view key_view() { return {key(), key_size}; }
  std::string_view value_view() { return {value(), value_size}; }
};

Dictionary::Dictionary(const Dataset& dataset) {
  const std::size_t keys = dataset.size() + dataset.counters().size();
  resize(std::max(kMinSlots, std::bit_ceil(2 * keys + 1)));
  // One chunk for the whole preload (header, key and value of each entry, padded to 8).
  chunks_.push_back(private_anonymous(std::max(kMinChunk, 32 * keys + 2 * dataset.payload_bytes()), "the dictionary"));
  next_ = chunks_.back().data();
  end_ = next_ + chunks_.back().size();
  for (std::size_t i = 0; i < dataset.size(); ++i) put(dataset.key(i), dataset.value(i));
  const std::string zero(sizeof(std::int64_t), '\0');
  for (const std::string& counter : dataset.counters()) put(counter, zero);
}

void Dictionary::swap(Dictionary& other) noexcept {
  std::swap(slot_area_, other.slot_area_);
  std::swap(slots_, other.slots_);
  std::swap(slot_count_, other.slot_count_);
  std::swap(shift_, other.shift_);
  std::swap(size_, other.size_);
  std::swap(chunks_, other.chunks_);
  std::swap(next_, other.next_);
  std::swap(end_, other.end_);
}

std::uint64_t Dictionary::hash(std::string_view key) const { return hash64(key) | 1; }

void Dictionary::prefetch_entry(std::uint64_t hash) const {
  const Slot& slot = slots_[hash >> shift_];
  if (slot.hash == hash) {
    const char* p = reinterpret_cast<const char*>(slot.entry);
    __builtin_prefetch(p);
    __builtin_prefetch(p + 63);  // an entry of a short key and a 32-byte value spans two lines
  }
}

Dictionary::Slot* Dictionary::find(std::string_view key, std::uint64_t hash) const {
  const std::size_t mask = slot_count_ - 1;
  for (std::size_t i = hash >> shift_;; i = (i + 1) & mask) {
    Slot* slot = &slots_[i];
    if (slot->hash == 0) return slot;
    if (slot->hash == hash && slot->entry->key_view() == key) return slot;
  }
}

bool Dictionary::get(std::string_view key, std::uint64_t hash, std::string_view& value) const {
  const Slot* slot = find(key, hash);
  if (slot->hash == 0) return false;
  value = slot->entry->value_view();
  return true;
}

void Dictionary::put(std::string_view key, std::uint64_t hash, std::string_view value) {
  Slot* slot = find(key, hash);
  if (slot->hash != 0 && value.size() <= slot->entry->capacity) {
    Entry* e = slot->entry;
    std::memcpy(e->value(), value.data(), value.size());
    e->value_size = static_cast<std::uint32_t>(value.size());
    return;
  }
  Entry* e = new_entry(key, value, value.size());
  if (slot->hash != 0) {
    slot->entry = e;  // a larger value: the old entry stays in the arena, unused
  } else {
    insert(slot, hash, e);
  }
}

Status Dictionary::add(std::string_view key, std::uint64_t hash, std::int64_t delta, std::int64_t& result) {
  Slot* slot = find(key, hash);
  if (slot->hash == 0) {
    const char zero[sizeof(std::int64_t)] = {};
    insert(slot, hash, new_entry(key, std::string_view(zero, sizeof zero), sizeof zero));
    slot = find(key, hash);  // insert may have resized the table
  }
  Entry* e = slot->entry;
  if (e->value_size != sizeof(std::int64_t)) return Status::not_a_counter;
  std::uint64_t value;
  std::memcpy(&value, e->value(), sizeof value);
  value += static_cast<std::uint64_t>(delta);  // wraps like the hardware, without signed overflow
  std::memcpy(e->value(), &value, sizeof value);
  result = static_cast<std::int64_t>(value);
  return Status::ok;
}

Dictionary::Entry* Dictionary::new_entry(std::string_view key, std::string_view value, std::size_t capacity) {
  if (key.size() > std::numeric_limits<std::uint32_t>::max() || capacity > std::numeric_limits<std::uint32_t>::max() / 2) {
    throw Error("queue-passing: a key or value over 2 GiB");
  }
  const std::size_t value_capacity = std::max<std::size_t>(8, round8(capacity));
  auto* e = static_cast<Entry*>(allocate(sizeof(Entry) + round8(key.size()) + value_capacity));
  e->key_size = static_cast<std::uint32_t>(key.size());
  e->value_size = static_cast<std::uint32_t>(value.size());
  e->capacity = static_cast<std::uint32_t>(value_capacity);
  if (!key.empty()) std::memcpy(e->key(), key.data(), key.size());
  if (!value.empty()) std::memcpy(e->value(), value.data(), value.size());
  return e;
}

void* Dictionary::allocate(std::size_t bytes) {
  if (static_cast<std::size_t>(end_ - next_) < bytes) {
    chunks_.push_back(private_anonymous(std::max(kMinChunk, bytes), "the dictionary"));
    next_ = chunks_.back().data();
    end_ = next_ + chunks_.back().size();
  }
  void* p = next_;
  next_ += bytes;
  return p;
}

void Dictionary::insert(Slot* slot, std::uint64_t hash, Entry* entry) {
  slot->hash = hash;
  slot->entry = entry;
  if (++size_ * 2 > slot_count_) resize(slot_count_ * 2);
}

void Dictionary::resize(std::size_t slot_count) {
  Mapping area = private_anonymous(slot_count * sizeof(Slot), "the dictionary's slots");
  auto* slots = reinterpret_cast<Slot*>(area.data());
  const std::size_t mask = slot_count - 1;
  const unsigned shift = 64 - static_cast<unsigned>(std::countr_zero(slot_count));
  for (std::size_t i = 0; i < slot_count_; ++i) {
    const Slot& old = slots_[i];
    if (old.hash == 0) continue;
    std::size_t j = old.hash >> shift;
    while (slots[j].hash != 0) j = (j + 1) & mask;
    slots[j] = old;
  }
  slot_area_ = std::move(area);
  slots_ = slots;
  slot_count_ = slot_count;
  shift_ = shift;
}

void Dictionary::release() noexcept {
  slot_area_.reset();
  chunks_.clear();
  slots_ = nullptr;
  slot_count_ = 0;
  shift_ = 64;
  size_ = 0;
  next_ = end_ = nullptr;
}

}  // namespace sharebench::queue_passing
