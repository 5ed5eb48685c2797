// Workloads: the key set, the operation mix and distribution, and the values that make every
// read checkable. Everything here is deterministic from the seed.
//
// Keys are decimal strings as in the original Python benchmark: str(2*i) for i < keys is
// present, str(2*i+1) never is, so a get that should miss asks for an odd number. A value
// carries its version in its first 8 bytes and is filled with a pattern derived from
// (key, version), so a reader can verify any value it sees, written by anybody, on its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "strategies/dataset.hpp"
#include "strategies/strategy.hpp"

namespace sharebench {

enum class Distribution { uniform };

struct WorkloadSpec {
  std::string name;
  std::uint64_t keys = 1'000'000;  // records preloaded
  std::uint32_t value_size = 32;  // bytes of every value, preloaded or put
  double get_ratio = 1.0;  // the three ratios sum to 1
  double put_ratio = 0.0;
  double add_ratio = 0.0;
  Distribution distribution = Distribution::uniform;
  double hit_ratio = 0.5;  // fraction of gets that ask for a present key
  std::uint32_t counter_keys = 0;  // keys that add() targets

  bool needs_put() const { return put_ratio > 0; }
  bool needs_add() const { return add_ratio > 0; }
};

inline constexpr std::uint32_t kMinValueSize = 16;  // version + one pattern word
inline constexpr std::uint32_t kMaxValueSize = 1u << 20;

// The preset names, in the order `--workload all` runs them.
std::span<const std::string_view> workload_names();
std::optional<WorkloadSpec> find_workload(std::string_view name);

// The initial dictionary: `keys` records at version 0, plus the counters.
Dataset build_dataset(const WorkloadSpec& spec);

// ----- keys -----

inline constexpr std::size_t kMaxKeySize = 16;  // decimal keys up to 2e9 and "counter:N" fit

// Writes the decimal text of 2*index (+1 for a key that must miss) and returns its length.
std::size_t format_data_key(std::uint64_t index, bool miss, char* out);
std::string counter_key(std::uint32_t index);

// ----- values -----

// Versions: 0 is the preloaded value; a put by worker w carries ((w + 1) << 40) | sequence.
inline std::uint64_t put_version(int worker, std::uint64_t sequence) {
  return (static_cast<std::uint64_t>(worker + 1) << 40) | sequence;
}
inline int version_writer(std::uint64_t version) { return static_cast<int>(version >> 40) - 1; }

std::uint64_t value_key_hash(std::string_view key);
void fill_value(char* out, std::size_t size, std::uint64_t key_hash, std::uint64_t version);
// True if `value` is a well-formed value of `size` bytes for this key; its version goes to
// *version.
bool value_is_valid(std::string_view value, std::size_t size, std::uint64_t key_hash,
                    std::uint64_t* version);

// ----- the operation schedule -----

// One planned operation, with its key already formatted and hashed, so that preparing it
// inside the measured window costs a few loads.
struct PlannedOp {
  std::uint64_t key_hash;  // value_key_hash(key)
  char key_text[kMaxKeySize];
  std::uint32_t key_index;  // data key index, or counter index for adds
  OpKind kind;
  std::uint8_t key_size;
  bool miss;  // a get for an absent key
  std::string_view key() const { return {key_text, key_size}; }
};
static_assert(sizeof(PlannedOp) == 32);

// A long random sequence of operations, generated once per workload in the coordinator
// before any fork, so workers share its pages and drawing random numbers costs nothing in
// the window. Worker w starts at its own offset; the sequence (>= 2 x keys, >= 64 Ki ops)
// is long enough that the keys it touches spread over the whole table.
class OpSchedule {
 public:
  OpSchedule(const WorkloadSpec& spec, std::uint64_t seed);
  std::span<const PlannedOp> ops() const { return ops_; }
  std::size_t start_of(int worker, int procs) const {
    return ops_.size() / static_cast<std::size_t>(procs) * static_cast<std::size_t>(worker);
  }

 private:
  std::vector<PlannedOp> ops_;
};

}  // namespace sharebench
