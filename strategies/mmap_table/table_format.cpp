#include "strategies/mmap_table/table_format.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#include "common/error.hpp"
#include "common/hash.hpp"

namespace sharebench::mmap_table {
namespace {

constexpr std::uint64_t kChecksumSeed = 0x5348415245424e43ULL;

std::uint64_t slot_count_for(std::size_t keys) {
  // Load factor at most 0.5 keeps probe sequences short and guarantees an empty slot.
  return std::bit_ceil(std::max<std::uint64_t>(2 * keys, 2));
}

std::uint32_t load32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::uint64_t checksum_of(const char* image, const TableHeader& h) {
  return hash64(image + h.header_size, h.image_size - h.header_size, kChecksumSeed);
}

}  // namespace

std::size_t image_size(const Dataset& dataset) {
  return sizeof(TableHeader) + slot_count_for(dataset.size()) * sizeof(std::uint64_t) +
         dataset.size() * kRecordHeader + dataset.payload_bytes();
}

void build_image(const Dataset& dataset, char* out, std::size_t size) {
  if (size != image_size(dataset)) throw Error("table build: wrong image size");
  TableHeader h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.format_version = kFormatVersion;
  h.header_size = sizeof(TableHeader);
  h.key_count = dataset.size();
  h.slot_count = slot_count_for(dataset.size());
  h.dataset_digest = dataset.digest();
  h.hash_seed = mix64(h.dataset_digest);
  h.data_size = dataset.size() * kRecordHeader + dataset.payload_bytes();
  h.image_size = size;

  auto* slots = reinterpret_cast<std::uint64_t*>(out + h.header_size);
  char* records = out + h.header_size + h.slot_count * sizeof(std::uint64_t);
  std::memset(slots, 0, h.slot_count * sizeof(std::uint64_t));
  const std::uint64_t mask = h.slot_count - 1;
  std::uint64_t offset = 0;
  for (std::size_t i = 0; i < dataset.size(); ++i) {
    const std::string_view key = dataset.key(i);
    const std::string_view value = dataset.value(i);
    const std::uint64_t hv = hash64(key, h.hash_seed);
    std::uint64_t s = hv & mask;
    for (; slots[s] != 0; s = (s + 1) & mask) {
      if (!slot_word::matches(slots[s], hv)) continue;
      const char* r = records + slot_word::position(slots[s]);
      if (std::string_view(r + kRecordHeader, load32(r)) == key) {
        throw Error("table build: duplicate key in dataset");
      }
    }
    slots[s] = slot_word::make(hv, offset);
    const auto key_size = static_cast<std::uint32_t>(key.size());
    const auto value_size = static_cast<std::uint32_t>(value.size());
    char* r = records + offset;
    std::memcpy(r, &key_size, sizeof key_size);
    std::memcpy(r + 4, &value_size, sizeof value_size);
    std::memcpy(r + kRecordHeader, key.data(), key.size());
    std::memcpy(r + kRecordHeader + key.size(), value.data(), value.size());
    offset += kRecordHeader + key.size() + value.size();
  }
  std::memcpy(out, &h, sizeof h);
  seal_image(out, size);
}

void seal_image(char* image, std::size_t size) {
  TableHeader h;
  if (size < sizeof h) return;
  std::memcpy(&h, image, sizeof h);
  if (h.header_size != sizeof h || h.image_size != size) return;  // the loader refuses it anyway
  h.checksum = checksum_of(image, h);
  std::memcpy(image, &h, sizeof h);
}

TableView::TableView(const char* image, std::size_t size, std::string_view source) {
  auto fail = [&](const std::string& what) { throw Error(std::string(source) + ": " + what); };
  if (size < sizeof(TableHeader)) {
    fail("truncated: " + std::to_string(size) + " bytes, smaller than the " +
         std::to_string(sizeof(TableHeader)) + "-byte header");
  }
  header_ = reinterpret_cast<const TableHeader*>(image);
  const TableHeader& h = *header_;
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0) fail("not a sharebench table (bad magic)");
  if (h.format_version != kFormatVersion) {
    fail("format version " + std::to_string(h.format_version) + ", this build reads version " +
         std::to_string(kFormatVersion));
  }
  if (h.header_size != sizeof(TableHeader)) fail("bad header size " + std::to_string(h.header_size));
  if (h.slot_count == 0 || !std::has_single_bit(h.slot_count) || h.slot_count <= h.key_count ||
      h.slot_count > (std::uint64_t{1} << 40)) {
    fail("bad slot count " + std::to_string(h.slot_count) + " for " + std::to_string(h.key_count) +
         " keys");
  }
  const std::uint64_t slots_end = h.header_size + h.slot_count * sizeof(std::uint64_t);
  if (h.data_size > slot_word::kPositionEnd || slots_end + h.data_size != h.image_size) {
    fail("inconsistent sizes in header (image " + std::to_string(h.image_size) + " bytes)");
  }
  if (size != h.image_size) {
    fail((size < h.image_size ? "truncated: " : "trailing bytes: ") + std::to_string(size) +
         " bytes, header says " + std::to_string(h.image_size));
  }
  slots_ = reinterpret_cast<const std::uint64_t*>(image + h.header_size);
  records_ = image + slots_end;
  mask_ = h.slot_count - 1;
  hash_seed_ = h.hash_seed;

  std::uint64_t occupied = 0;
  for (std::uint64_t s = 0; s < h.slot_count; ++s) {
    if (slots_[s] == 0) continue;
    ++occupied;
    const std::uint64_t offset = slot_word::position(slots_[s]);
    if (!slot_word::has_position(slots_[s]) || offset + kRecordHeader > h.data_size) {
      fail("slot " + std::to_string(s) + " points outside the records");
    }
    const char* r = records_ + offset;
    const std::uint64_t end = offset + kRecordHeader + std::uint64_t{load32(r)} + load32(r + 4);
    if (end > h.data_size) fail("record at offset " + std::to_string(offset) + " runs past the end");
    max_value_size_ = std::max(max_value_size_, load32(r + 4));
  }
  if (h.key_count > 0) mean_record_last_byte_ = std::max<std::uint64_t>(h.data_size / h.key_count, 1) - 1;
  if (occupied != h.key_count) {
    fail(std::to_string(occupied) + " occupied slots, header says " + std::to_string(h.key_count) +
         " keys");
  }
  if (checksum_of(image, h) != h.checksum) fail("checksum mismatch (corrupt contents)");
}

}  // namespace sharebench::mmap_table
