// The dictionary the socket-manager server owns: a flat open-addressing table whose records
// (key and value side by side) live in one arena, so a lookup costs a slot and a record, and
// a batch of requests can prefetch both for all its keys before handling the first.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strategies/dataset.hpp"
#include "strategies/socket_manager/wire.hpp"

namespace sharebench::socket_manager {

class Dictionary {
 public:
  explicit Dictionary(const Dataset& initial);

  // Handles the request frames in order and appends one reply per frame to `out`, each
  // behind a 4-byte length if `length_prefix`; reply_ends (if given) gets the end offset
  // of each reply. A malformed frame gets an error reply; nothing a client sends can stop
  // the server.
  void handle(std::span<const std::string_view> frames, std::string& out, bool length_prefix,
              std::vector<std::size_t>* reply_ends = nullptr);
  std::uint64_t bad_frames() const { return bad_frames_; }
  std::size_t size() const { return size_; }

  // Direct access, for preloading and tests.
  bool get(std::string_view key, std::string_view* value) const;
  void put(std::string_view key, std::string_view value);

 private:
  void load();  // the initial dataset, again (the `reset` request)
  std::uint64_t hash(std::string_view key) const;
  // The slot holding `key`, or the empty slot where it would go.
  std::uint64_t* find_slot(std::string_view key, std::uint64_t hash);
  const std::uint64_t* find_slot(std::string_view key, std::uint64_t hash) const;
  std::string_view value_at(std::uint64_t slot_word) const;
  void store(std::uint64_t* slot, std::string_view key, std::uint64_t hash, std::string_view value);
  void grow();
  void prefetch(std::uint64_t hash) const;

  const Dataset& initial_;
  // Slot words (common/hash_table.hpp) of record offsets; load at most 1/2.
  std::vector<std::uint64_t> slots_;
  std::uint64_t mask_ = 0;
  std::string arena_;  // records: u32 key size, u32 value size, u32 capacity, key, value
  std::size_t size_ = 0;
  std::uint64_t bad_frames_ = 0;
  // Scratch space of handle(), kept so a batch allocates nothing.
  struct Decoded {
    Request request;
    std::string error;
    std::uint64_t hash = 0;
  };
  std::vector<Decoded> decoded_;
};

}  // namespace sharebench::socket_manager
