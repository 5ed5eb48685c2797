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

class Dataset {
 public:
  void reserve(std::size_t entries, std::size_t bytes);
  void add(std::string_view key, std::string_view value);
  // A key that workers only ever add() to. It starts at 0 and is never get() or put().
  void add_counter(std::string_view key) { counters_.emplace_back(key); }
  // The largest value a worker will put(); strategies with fixed-size slots or messages size
  // them from it. Defaults to the largest preloaded value.
  void set_max_put_value_size(std::size_t bytes) { max_put_value_size_ = bytes; }

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

 private:
  struct Offsets {
    std::size_t key;
    std::uint32_t key_size;
    std::uint32_t value_size;
  };
  std::string arena_;
  std::vector<Offsets> offsets_;
  std::vector<std::string> counters_;
  std::size_t max_key_size_ = 0;
  std::size_t max_value_size_ = 0;
  std::size_t max_put_value_size_ = 0;
};

}  // namespace sharebench
