#include "strategies/common/dictionary.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <utility>

#include "common/error.hpp"
#include "common/hash.hpp"
#include "common/hash_table.hpp"

namespace sharebench {
namespace {

constexpr std::size_t kRecordHeader = 12;
constexpr std::size_t kMinCapacity = sizeof(std::int64_t);
constexpr std::uint64_t kSeed = 0x736f636b65746d67ULL;

std::uint32_t load32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
void store32(char* p, std::uint32_t v) { std::memcpy(p, &v, 4); }

}  // namespace

Dictionary::Dictionary(const Dataset& initial) : initial_(initial) { reset(); }

void Dictionary::reset() {
  const std::size_t keys = initial_.size() + initial_.counters().size();
  slots_.assign(std::bit_ceil(std::max<std::size_t>(2 * keys, 64)), 0);
  mask_ = slots_.size() - 1;
  arena_.clear();
  arena_.reserve(initial_.payload_bytes() + keys * (kRecordHeader + kMinCapacity));
  size_ = 0;
  for (std::size_t i = 0; i < initial_.size(); ++i) put(initial_.key(i), initial_.value(i));
  const char zero[sizeof(std::int64_t)] = {};
  for (const std::string& counter : initial_.counters()) put(counter, std::string_view(zero, sizeof zero));
}

std::uint64_t Dictionary::hash(std::string_view key) const { return hash64(key, kSeed); }

void Dictionary::prefetch_record(std::uint64_t hash) const {
  const std::uint64_t word = slots_[hash & mask_];
  if (word == 0 || !slot_word::matches(word, hash)) return;
  const char* record = arena_.data() + slot_word::position(word);
  __builtin_prefetch(record);
  __builtin_prefetch(record + 63);  // a record of a short key and a 32-byte value spans two lines
}

const std::uint64_t* Dictionary::find_slot(std::string_view key, std::uint64_t hash) const {
  for (std::uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
    const std::uint64_t word = slots_[i];
    if (word == 0) return &slots_[i];
    if (!slot_word::matches(word, hash)) continue;
    const char* record = arena_.data() + slot_word::position(word);
    if (std::string_view(record + kRecordHeader, load32(record)) == key) return &slots_[i];
  }
}

std::uint64_t* Dictionary::find_slot(std::string_view key, std::uint64_t hash) {
  return const_cast<std::uint64_t*>(std::as_const(*this).find_slot(key, hash));
}

bool Dictionary::get(std::string_view key, std::uint64_t hash, std::string_view& value) const {
  const std::uint64_t word = *find_slot(key, hash);
  if (word == 0) return false;
  const char* record = arena_.data() + slot_word::position(word);
  value = {record + kRecordHeader + load32(record), load32(record + 4)};
  return true;
}

void Dictionary::put(std::string_view key, std::uint64_t hash, std::string_view value) {
  store(find_slot(key, hash), key, hash, value);
}

bool Dictionary::add(std::string_view key, std::uint64_t hash, std::int64_t delta, std::int64_t& result) {
  std::uint64_t* slot = find_slot(key, hash);
  if (*slot == 0) {
    const char zero[sizeof(std::int64_t)] = {};
    store(slot, key, hash, std::string_view(zero, sizeof zero));
    slot = find_slot(key, hash);  // store() may have grown the table
  }
  char* record = arena_.data() + slot_word::position(*slot);
  if (load32(record + 4) != sizeof(std::int64_t)) return false;
  char* bytes = record + kRecordHeader + key.size();
  std::uint64_t value;
  std::memcpy(&value, bytes, sizeof value);
  value += static_cast<std::uint64_t>(delta);  // wraps without a signed overflow
  std::memcpy(bytes, &value, sizeof value);
  result = static_cast<std::int64_t>(value);
  return true;
}

void Dictionary::store(std::uint64_t* slot, std::string_view key, std::uint64_t hash, std::string_view value) {
  if (*slot != 0) {
    char* record = arena_.data() + slot_word::position(*slot);
    if (value.size() <= load32(record + 8)) {
      value.copy(record + kRecordHeader + key.size(), value.size());
      store32(record + 4, static_cast<std::uint32_t>(value.size()));
      return;
    }
  } else {
    ++size_;
  }
  // A new record at the end of the arena; a record outgrown by its value stays there, unused,
  // until the next reset.
  const std::size_t capacity = std::max(value.size(), kMinCapacity);
  if (key.size() > std::numeric_limits<std::uint32_t>::max() || capacity > std::numeric_limits<std::uint32_t>::max()) {
    throw Error("dictionary: a key or value over 4 GiB");
  }
  const std::uint64_t position = arena_.size();
  arena_.resize(position + kRecordHeader + key.size() + capacity);
  char* record = arena_.data() + position;
  store32(record, static_cast<std::uint32_t>(key.size()));
  store32(record + 4, static_cast<std::uint32_t>(value.size()));
  store32(record + 8, static_cast<std::uint32_t>(capacity));
  key.copy(record + kRecordHeader, key.size());  // copy(), not memcpy: an empty view may have no data
  value.copy(record + kRecordHeader + key.size(), value.size());
  *slot = slot_word::make(hash, position);
  if (2 * size_ > slots_.size()) grow();
}

void Dictionary::grow() {
  std::vector<std::uint64_t> old(slots_.size() * 2, 0);
  old.swap(slots_);
  mask_ = slots_.size() - 1;
  for (const std::uint64_t word : old) {
    if (word == 0) continue;
    const char* record = arena_.data() + slot_word::position(word);
    std::uint64_t i = hash({record + kRecordHeader, load32(record)}) & mask_;
    while (slots_[i] != 0) i = (i + 1) & mask_;
    slots_[i] = word;
  }
}

}  // namespace sharebench
