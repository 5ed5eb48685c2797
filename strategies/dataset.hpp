// The initial contents of the shared dictionary, handed to Strategy::prepare().
//
// Keys and values are arbitrary byte strings (NUL included), packed into one arena so that a
// million entries cost one allocation. The harness builds it; strategies only read it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sharebench {

// What a dataset was built from, for messages that say how two differ. A field left empty
// or 0 where the source does not know it (a table file keeps no workload name).
struct DatasetFacts {
  std::string workload;
  std::uint64_t keys = 0;
  std::uint64_t value_size = 0;  // of the preloaded values (a workload's are all one size)
  std::uint64_t counters = 0;
};

// What differs, `mine` first: "workload counter vs read; counters 16 vs 0"; "" if nothing
// both sides know differs. A workload name only one side knows is left out.
std::string dataset_differences(const DatasetFacts& mine, const DatasetFacts& theirs);

class Dataset {
 public:
  void reserve(std::size_t entries, std::size_t bytes);
  void add(std::string_view key, std::string_view value);
  // A key that workers only ever add() to. It starts at 0 and is never get() or put().
  void add_counter(std::string_view key) { counters_.emplace_back(key); }
  // The largest value a worker will put(); strategies with fixed-size slots or messages size
  // them from it. Defaults to the largest preloaded value.
  void set_max_put_value_size(std::size_t bytes) { max_put_value_size_ = bytes; }
  // The workload it was built for, so that a mismatch can name it.
  void set_workload(std::string name) { workload_ = std::move(name); }

  std::size_t size() const { return offsets_.size(); }
  std::string_view key(std::size_t i) const {
    const Offsets& o = offsets_[i];
    return {arena_.data() + o.key, o.key_size};
  }
  std::string_view value(std::size_t i) const {
    const Offsets& o = offsets_[i];
    return {arena_.data() + o.key + o.key_size, o.value_size};
  }
  const std::vector<std::string>& counters() const { return counters_; }

  std::size_t max_key_size() const;  // over entries and counters
  std::size_t max_value_size() const;  // over entries and the largest put
  std::size_t payload_bytes() const { return arena_.size(); }  // keys + values
  // A digest of every key and value, for "was this file built from this data?" checks.
  std::uint64_t digest() const;
  DatasetFacts facts() const { return {workload_, size(), max_value_size_, counters_.size()}; }

 private:
  struct Offsets {
    std::size_t key;
    std::uint32_t key_size;
    std::uint32_t value_size;
  };
  std::string arena_;
  std::vector<Offsets> offsets_;
  std::vector<std::string> counters_;
  std::string workload_;
  std::size_t max_key_size_ = 0;
  std::size_t max_value_size_ = 0;
  std::size_t max_put_value_size_ = 0;
};

}  // namespace sharebench
