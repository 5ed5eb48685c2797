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

#include "common/hash.hpp"
#include "strategies/dataset.hpp"
#include "strategies/strategy.hpp"

namespace sharebench {

enum class Distribution { uniform, zipfian };
const char* to_string(Distribution distribution);

// splitmix64: tiny, fast, and good enough to draw keys.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), by Lemire's multiply-shift.
  std::uint64_t below(std::uint64_t n) {
    __extension__ using u128 = unsigned __int128;
    return static_cast<std::uint64_t>((static_cast<u128>(next()) * n) >> 64);
  }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

// Zipf's law over ranks [0, items): rank r is drawn with probability proportional to
// 1 / (r + 1)^theta, exactly, by rejection-inversion (Hoermann and Derflinger, 1996).
// YCSB's generator approximates the same law but over-draws ranks 2 to 4 by 8-19%.
class ZipfianGenerator {
 public:
  ZipfianGenerator(std::uint64_t items, double theta);
  std::uint64_t next(SplitMix64& rng) const;

 private:
  double h(double x) const;
  double h_integral(double x) const;
  double h_integral_inverse(double x) const;

  std::uint64_t items_;
  double theta_, h_integral_x1_, h_integral_items_, s_;
};

// A zipfian rank scrambled over [0, items) by a hash, so the hot keys are spread over the
// table instead of sitting side by side (YCSB's ScrambledZipfianGenerator).
std::uint64_t scramble(std::uint64_t rank, std::uint64_t items);

struct WorkloadSpec {
  std::string name;
  std::uint64_t keys = 1'000'000;  // records preloaded
  std::uint32_t value_size = 32;  // bytes of every value, preloaded or put
  double get_ratio = 1.0;  // the three ratios sum to 1
  double put_ratio = 0.0;
  double add_ratio = 0.0;
  Distribution distribution = Distribution::uniform;
  double zipf_theta = 0.99;
  double hit_ratio = 0.5;  // fraction of gets that ask for a present key
  std::uint32_t counter_keys = 0;  // keys that add() targets

  bool needs_put() const { return put_ratio > 0; }
  bool uses_data_keys() const { return get_ratio > 0 || put_ratio > 0; }
  bool needs_add() const { return add_ratio > 0; }
};

inline constexpr std::uint32_t kMinValueSize = 16;  // version + one pattern word
inline constexpr std::uint32_t kMaxValueSize = 1u << 20;
inline constexpr std::uint64_t kMaxKeys = 1'000'000'000;

// The sweep axes of the command line. --value-size takes bytes with an optional binary
// suffix (1K = 1024, 1M = 1048576), --keys a count with an optional decimal one (1K = 1000,
// 1M = 10^6, 1G = 10^9); a number may also be written 1e5 when exactly whole. A comma list
// sweeps; an empty item, a repeated size, an unknown suffix or a size out of range throws
// Error naming the option and the item.
std::vector<std::uint32_t> parse_value_sizes(std::string_view text);
std::vector<std::uint64_t> parse_key_counts(std::string_view text);
// A size as a cell name writes it, with the suffixes the options take: 65536 -> "64K",
// 1000 -> "1000"; 1000000 keys -> "1M", 1500 -> "1500".
std::string value_size_text(std::uint64_t bytes);
std::string key_count_text(std::uint64_t keys);

// The preset names, in the order `--workload all` runs them.
std::span<const std::string_view> workload_names();
std::optional<WorkloadSpec> find_workload(std::string_view name);

// Workloads described in a JSON file: one object or an array of them, each with a "name"
// and any of keys, value_size, get_ratio, put_ratio, add_ratio, distribution ("uniform" or
// "zipfian"), zipf_theta, hit_ratio, counter_keys (defaults: those of `read`). Throws Error
// naming the file and the problem (an unknown field, ratios that do not sum to 1, ...).
std::vector<WorkloadSpec> read_workload_file(const std::string& path);
// Throws Error if the spec cannot run (bad ratios, no keys to read, ...); `source` names it.
void validate(const WorkloadSpec& spec, const std::string& source);

// The shape of build_dataset(spec), computed without building it.
DatasetShape shape_of(const WorkloadSpec& spec);

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
// The word a value of this key and version repeats after its version. key_hash is already
// a strong hash, so no further mixing: another key's value differs in every word, and two
// versions of one key differ in every word (an odd multiplier maps distinct versions to
// distinct words), which is what a torn or misplaced value shows. The check computes this
// for every read, inside the window.
inline std::uint64_t pattern_word(std::uint64_t key_hash, std::uint64_t version) {
  return key_hash ^ (version * 0x9e3779b97f4a7c15ULL);
}
void fill_value(char* out, std::size_t size, std::uint64_t key_hash, std::uint64_t version);
// True if `value` is a well-formed value of `size` bytes for this key; its version goes to
// *version. Always inline: the runner checks every read with it inside the measured window,
// and a constant `size` unrolls it (GCC 12 called it out of line in a batch of one's check).
[[gnu::always_inline]] inline bool value_is_valid(std::string_view value, std::size_t size,
                                                 std::uint64_t key_hash, std::uint64_t* version) {
  if (value.size() != size || size < kMinValueSize) return false;
  const char* v = value.data();
  *version = load64(v);
  const std::uint64_t word = pattern_word(key_hash, *version);
  // Every word but the last, then the last 8 bytes (overlapping the one before when size is
  // not a multiple of 8): the pattern read at an offset that is not a multiple of 8 is the
  // word rotated, so compare it against the rotation.
  // Two words a step, into two accumulators: at 32 bytes the loop's own compare and branch
  // cost as much as the words it checked.
  std::uint64_t diff = 0, diff2 = 0;
  const std::size_t last = size - 8;
  std::size_t i = 8;
  for (; i + 8 < last; i += 16) {
    diff |= load64(v + i) ^ word;
    diff2 |= load64(v + i + 8) ^ word;
  }
  if (i < last) diff |= load64(v + i) ^ word;
  diff |= diff2;
  const unsigned shift = static_cast<unsigned>(last % 8) * 8;
  diff |= load64(v + last) ^ (shift == 0 ? word : (word >> shift | word << (64 - shift)));
  return diff == 0;
}

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

  struct KindCounts {
    std::uint64_t gets = 0, puts = 0, adds = 0;
    std::uint64_t hits = 0;  // gets of a key that is present (not planned to miss)
  };
  // The kinds of the n ops that follow `first`, wrapping around as a worker does: the plan
  // fixes them, so a worker counts nothing per op and asks once, after its window.
  KindCounts count(std::size_t first, std::uint64_t n) const;

 private:
  static constexpr std::size_t kBlock = 4096;
  KindCounts before(std::size_t position) const;  // of ops [0, position)

  std::vector<PlannedOp> ops_;
  std::vector<KindCounts> block_starts_;  // [b]: of ops [0, b * kBlock)
};

}  // namespace sharebench
