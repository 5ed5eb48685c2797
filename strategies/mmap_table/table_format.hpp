// The immutable table image: one contiguous, position-independent block of bytes that a
// file or a shared mapping holds and any process reads without locks.
//
//   header     TableHeader (little-endian, 72 bytes)
//   slots      slot_count x uint64, open addressing with linear probing, load <= 0.5:
//              0 = empty, else (16-bit fingerprint << 48) | (record offset + 1), the slot
//              word of common/hash_table.hpp
//   records    packed: uint32 key size, uint32 value size, key bytes, value bytes
//
// The fingerprint comes from the hash bits the slot index does not use, so a lookup of an
// absent key almost never touches record bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/hash.hpp"
#include "common/hash_table.hpp"
#include "strategies/dataset.hpp"

namespace sharebench::mmap_table {

inline constexpr char kMagic[8] = {'S', 'B', 'T', 'A', 'B', 'L', 'E', '\0'};
inline constexpr std::uint32_t kFormatVersion = 1;
inline constexpr std::size_t kRecordHeader = 2 * sizeof(std::uint32_t);  // key size, value size

struct TableHeader {
  char magic[8];
  std::uint32_t format_version;
  std::uint32_t header_size;  // sizeof(TableHeader); the slots start here
  std::uint64_t key_count;
  std::uint64_t slot_count;  // a power of two, > key_count
  std::uint64_t hash_seed;
  std::uint64_t data_size;  // bytes of records after the slots
  std::uint64_t dataset_digest;  // Dataset::digest() of the data it was built from
  std::uint64_t checksum;  // hash64 of slots and records, seeded with kChecksumSeed
  std::uint64_t image_size;  // header + slots + records
};
static_assert(sizeof(TableHeader) == 72);

// Bytes needed for the image of `dataset`.
std::size_t image_size(const Dataset& dataset);

// Writes the image of `dataset` into out[0, image_size(dataset)). Throws on a duplicate key.
void build_image(const Dataset& dataset, char* out, std::size_t size);

// Recomputes and stores the checksum of an image whose header fits in `size` (build_image
// does this last; the fuzzer and tests use it to reach the checks behind the checksum).
void seal_image(char* image, std::size_t size);

// A validated, read-only view of an image. Lookups take no lock and copy nothing until the
// caller does.
class TableView {
 public:
  // Validates magic, version, sizes, every slot's record bounds and the checksum; throws
  // Error("<source>: <what is wrong>") on the first problem. `source` names the file.
  TableView(const char* image, std::size_t size, std::string_view source);

  const TableHeader& header() const { return *header_; }
  // What the table was built from, as far as it tells: its keys and value size (a table
  // keeps no workload name and no counters).
  DatasetFacts facts() const { return {"", header_->key_count, max_value_size_, 0}; }

  // The value of `key`, or false if absent. `value` points into the image.
  bool find(std::string_view key, std::string_view& value) const {
    return find_hashed(key, hash(key), value);
  }

  std::uint64_t hash(std::string_view key) const { return hash64(key, hash_seed_); }
  // For a batch (apply_prefetched): where find_hashed() will look first; then, once that slot
  // is in cache, the record it points to if its fingerprint matches, the second address a hit
  // touches: its first byte and where a record of the mean size ends, since a record of 48
  // bytes straddles two cache lines three times in four and the value read is at its end.
  void prefetch_slot(std::uint64_t hash) const { __builtin_prefetch(&slots_[hash & mask_]); }
  void prefetch_record(std::uint64_t hash) const {
    const std::uint64_t slot = slots_[hash & mask_];
    if (slot != 0 && slot_word::matches(slot, hash)) {
      const char* record = records_ + slot_word::position(slot);
      __builtin_prefetch(record);
      __builtin_prefetch(record + mean_record_last_byte_);  // the same line's again costs no miss
    }
  }
  // Inline: it is all of a lookup, and the client calls it once per op.
  bool find_hashed(std::string_view key, std::uint64_t hash, std::string_view& value) const {
    for (std::uint64_t s = hash & mask_;; s = (s + 1) & mask_) {
      const std::uint64_t slot = slots_[s];
      if (slot == 0) return false;
      if (!slot_word::matches(slot, hash)) continue;
      const char* r = records_ + slot_word::position(slot);
      std::uint32_t key_size, value_size;
      std::memcpy(&key_size, r, 4);
      std::memcpy(&value_size, r + 4, 4);
      if (key_size == key.size() && same_bytes(r + kRecordHeader, key.data(), key_size)) {
        value = {r + kRecordHeader + key_size, value_size};
        return true;
      }
    }
  }

 private:
  std::uint64_t hash_seed_ = 0;
  const TableHeader* header_;
  const std::uint64_t* slots_;
  const char* records_;
  std::uint64_t mask_;
  std::uint32_t max_value_size_ = 0;
  std::uint64_t mean_record_last_byte_ = 0;  // offset in a record of the mean size
};

}  // namespace sharebench::mmap_table
