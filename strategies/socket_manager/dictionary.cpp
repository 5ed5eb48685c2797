#include "strategies/socket_manager/dictionary.hpp"

#include <bit>
#include <cstring>
#include <utility>

#include "common/hash.hpp"
#include "common/hash_table.hpp"
#include "strategies/socket_manager/wire.hpp"

namespace sharebench::socket_manager {
namespace {

constexpr std::size_t kRecordHeader = 12;
constexpr std::uint64_t kSeed = 0x736f636b65746d67ULL;

std::uint32_t load32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
void store32(char* p, std::uint32_t v) { std::memcpy(p, &v, 4); }

}  // namespace

Dictionary::Dictionary(const Dataset& initial) : initial_(initial) { load(); }

void Dictionary::load() {
  const std::size_t keys = initial_.size() + initial_.counters().size();
  slots_.assign(std::bit_ceil(std::max<std::size_t>(2 * keys, 64)), 0);
  mask_ = slots_.size() - 1;
  arena_.clear();
  arena_.reserve(initial_.payload_bytes() + keys * (kRecordHeader + 8));
  size_ = 0;
  for (std::size_t i = 0; i < initial_.size(); ++i) put(initial_.key(i), initial_.value(i));
  for (const std::string& counter : initial_.counters()) put(counter, encode_int64(0));
}

std::uint64_t Dictionary::hash(std::string_view key) const { return hash64(key, kSeed); }

const std::uint64_t* Dictionary::find_slot(std::string_view key, std::uint64_t h) const {
  for (std::uint64_t i = h & mask_;; i = (i + 1) & mask_) {
    const std::uint64_t word = slots_[i];
    if (word == 0) return &slots_[i];
    if (!slot_word::matches(word, h)) continue;
    const char* record = arena_.data() + slot_word::position(word);
    const std::uint32_t key_size = load32(record);
    if (key_size == key.size() && std::memcmp(record + kRecordHeader, key.data(), key_size) == 0) return &slots_[i];
  }
}

std::uint64_t* Dictionary::find_slot(std::string_view key, std::uint64_t h) {
  return const_cast<std::uint64_t*>(std::as_const(*this).find_slot(key, h));
}

std::string_view Dictionary::value_at(std::uint64_t word) const {
  const char* record = arena_.data() + slot_word::position(word);
  return {record + kRecordHeader + load32(record), load32(record + 4)};
}

void Dictionary::store(std::uint64_t* slot, std::string_view key, std::uint64_t h, std::string_view value) {
  if (*slot != 0) {
    char* record = arena_.data() + slot_word::position(*slot);
    if (value.size() <= load32(record + 8)) {  // fits the record's capacity: in place
      std::memcpy(record + kRecordHeader + key.size(), value.data(), value.size());
      store32(record + 4, static_cast<std::uint32_t>(value.size()));
      return;
    }
  } else {
    ++size_;
  }
  // A new record at the end of the arena; a record outgrown by its value is left unused
  // until the next reset.
  const std::uint64_t offset = arena_.size();
  const auto capacity = static_cast<std::uint32_t>(std::max<std::size_t>(value.size(), 8));
  arena_.resize(offset + kRecordHeader + key.size() + capacity);
  char* record = arena_.data() + offset;
  store32(record, static_cast<std::uint32_t>(key.size()));
  store32(record + 4, static_cast<std::uint32_t>(value.size()));
  store32(record + 8, capacity);
  std::memcpy(record + kRecordHeader, key.data(), key.size());
  std::memcpy(record + kRecordHeader + key.size(), value.data(), value.size());
  *slot = slot_word::make(h, offset);
  if (2 * size_ > slots_.size()) grow();
}

void Dictionary::grow() {
  std::vector<std::uint64_t> old(slots_.size() * 2, 0);
  old.swap(slots_);
  mask_ = slots_.size() - 1;
  for (const std::uint64_t word : old) {
    if (word == 0) continue;
    const char* record = arena_.data() + slot_word::position(word);
    const std::uint64_t h = hash({record + kRecordHeader, load32(record)});
    std::uint64_t i = h & mask_;
    while (slots_[i] != 0) i = (i + 1) & mask_;
    slots_[i] = word;
  }
}

bool Dictionary::get(std::string_view key, std::string_view* value) const {
  const std::uint64_t word = *find_slot(key, hash(key));
  if (word == 0) return false;
  *value = value_at(word);
  return true;
}

void Dictionary::put(std::string_view key, std::string_view value) {
  const std::uint64_t h = hash(key);
  store(find_slot(key, h), key, h, value);
}

void Dictionary::prefetch(std::uint64_t h) const {
  const std::uint64_t word = slots_[h & mask_];
  if (word != 0 && slot_word::matches(word, h)) __builtin_prefetch(arena_.data() + slot_word::position(word));
}

void Dictionary::handle(std::span<const std::string_view> frames, std::string& out, bool length_prefix,
                        std::vector<std::size_t>* reply_ends) {
  // Decode and hash the whole batch and prefetch its slots, then its records, so the cache
  // misses of a pipelined batch overlap; then handle the requests in arrival order.
  if (decoded_.size() < frames.size()) decoded_.resize(frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    Decoded& d = decoded_[i];
    d.error = decode_request(frames[i], d.request);
    if (d.error.empty()) {
      d.hash = hash(d.request.key);
      __builtin_prefetch(&slots_[d.hash & mask_]);
    }
  }
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (decoded_[i].error.empty()) prefetch(decoded_[i].hash);
  }
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const std::size_t at = out.size();
    if (length_prefix) out.append(4, '\0');
    Decoded& d = decoded_[i];
    const Request& r = d.request;
    if (!d.error.empty()) {
      ++bad_frames_;
      encode_reply(out, {WireStatus::error, r.id, d.error});
    } else {
      switch (r.op) {
        case WireOp::get: {
          const std::uint64_t word = *find_slot(r.key, d.hash);
          if (word == 0) {
            encode_reply(out, {WireStatus::absent, r.id, {}});
          } else {
            encode_reply(out, {WireStatus::found, r.id, value_at(word)});
          }
          break;
        }
        case WireOp::put:
          store(find_slot(r.key, d.hash), r.key, d.hash, r.value);
          encode_reply(out, {WireStatus::done, r.id, {}});
          break;
        case WireOp::add: {
          std::uint64_t* slot = find_slot(r.key, d.hash);
          if (*slot == 0) store(slot, r.key, d.hash, encode_int64(0));
          slot = find_slot(r.key, d.hash);  // store() may have grown the table
          std::int64_t delta = 0, value = 0;
          decode_int64(r.value, &delta);
          if (!decode_int64(value_at(*slot), &value)) {
            encode_reply(out, {WireStatus::error, r.id, "add on a key whose value is not an 8-byte counter"});
            break;
          }
          // Wraps around at 2^63 as an atomic add does (a signed overflow would be undefined).
          const std::string updated = encode_int64(static_cast<std::int64_t>(
              static_cast<std::uint64_t>(value) + static_cast<std::uint64_t>(delta)));
          store(slot, r.key, d.hash, updated);
          encode_reply(out, {WireStatus::done, r.id, updated});
          break;
        }
        case WireOp::hello:
          encode_reply(out, {WireStatus::done, r.id,
                             encode_int64(static_cast<std::int64_t>(initial_.digest())) +
                                 encode_int64(static_cast<std::int64_t>(initial_.size()))});
          break;
        case WireOp::reset:
          load();
          encode_reply(out, {WireStatus::done, r.id, {}});
          break;
      }
    }
    if (length_prefix) store32(out.data() + at, static_cast<std::uint32_t>(out.size() - at - 4));
    if (reply_ends != nullptr) reply_ends->push_back(out.size());
  }
}

}  // namespace sharebench::socket_manager
