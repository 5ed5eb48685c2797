#include "harness/workload.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "common/error.hpp"
#include "common/hash.hpp"

namespace sharebench {
namespace {

constexpr std::uint64_t kValueSeed = 0x76616c7565736565ULL;

constexpr std::string_view kWorkloadNames[] = {"read"};

// splitmix64: tiny, fast, and good enough to draw keys.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
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

std::uint64_t pattern_word(std::uint64_t key_hash, std::uint64_t version) {
  return mix64(key_hash ^ (version * 0x9e3779b97f4a7c15ULL));
}

}  // namespace

std::span<const std::string_view> workload_names() { return kWorkloadNames; }

std::optional<WorkloadSpec> find_workload(std::string_view name) {
  if (name == "read") {
    WorkloadSpec spec;
    spec.name = "read";
    return spec;
  }
  return std::nullopt;
}

std::size_t format_data_key(std::uint64_t index, bool miss, char* out) {
  const auto [end, ec] = std::to_chars(out, out + kMaxKeySize, 2 * index + (miss ? 1 : 0));
  if (ec != std::errc()) throw Error("key index too large: " + std::to_string(index));
  return static_cast<std::size_t>(end - out);
}

std::string counter_key(std::uint32_t index) { return "counter:" + std::to_string(index); }

std::uint64_t value_key_hash(std::string_view key) { return hash64(key, kValueSeed); }

void fill_value(char* out, std::size_t size, std::uint64_t key_hash, std::uint64_t version) {
  std::memcpy(out, &version, sizeof version);
  const std::uint64_t word = pattern_word(key_hash, version);
  std::size_t i = sizeof version;
  for (; i + 8 <= size; i += 8) std::memcpy(out + i, &word, 8);
  std::memcpy(out + i, &word, size - i);
}

bool value_is_valid(std::string_view value, std::size_t size, std::uint64_t key_hash,
                    std::uint64_t* version) {
  if (value.size() != size || size < kMinValueSize) return false;
  *version = load64(value.data());
  const std::uint64_t word = pattern_word(key_hash, *version);
  std::size_t i = sizeof(std::uint64_t);
  std::uint64_t diff = 0;
  for (; i + 8 <= size; i += 8) diff |= load64(value.data() + i) ^ word;
  if (i < size) {
    std::uint64_t tail = 0;
    std::memcpy(&tail, value.data() + i, size - i);
    diff |= tail ^ (word & ((std::uint64_t{1} << (8 * (size - i))) - 1));
  }
  return diff == 0;
}

Dataset build_dataset(const WorkloadSpec& spec) {
  Dataset dataset;
  dataset.reserve(spec.keys, spec.keys * (8 + spec.value_size));
  std::string value(spec.value_size, '\0');
  char key[kMaxKeySize];
  for (std::uint64_t i = 0; i < spec.keys; ++i) {
    const std::string_view k(key, format_data_key(i, false, key));
    fill_value(value.data(), value.size(), value_key_hash(k), 0);
    dataset.add(k, value);
  }
  for (std::uint32_t c = 0; c < spec.counter_keys; ++c) dataset.add_counter(counter_key(c));
  dataset.set_max_put_value_size(spec.needs_put() ? spec.value_size : 0);
  return dataset;
}

OpSchedule::OpSchedule(const WorkloadSpec& spec, std::uint64_t seed) {
  const std::uint64_t length =
      std::clamp<std::uint64_t>(2 * std::max<std::uint64_t>(spec.keys, spec.counter_keys),
                                std::uint64_t{1} << 16, std::uint64_t{1} << 22);
  ops_.resize(length);
  std::vector<std::string> counters;
  for (std::uint32_t c = 0; c < spec.counter_keys; ++c) counters.push_back(counter_key(c));
  Rng rng(mix64(seed));
  for (PlannedOp& op : ops_) {
    op = PlannedOp{};
    const double choice = rng.unit();
    if (choice < spec.add_ratio) {
      op.kind = OpKind::add;
      op.key_index = static_cast<std::uint32_t>(rng.below(spec.counter_keys));
      const std::string& key = counters[op.key_index];
      std::memcpy(op.key_text, key.data(), key.size());
      op.key_size = static_cast<std::uint8_t>(key.size());
    } else {
      op.key_index = static_cast<std::uint32_t>(rng.below(spec.keys));
      if (choice < spec.add_ratio + spec.put_ratio) {
        op.kind = OpKind::put;
      } else {
        op.kind = OpKind::get;
        op.miss = rng.unit() >= spec.hit_ratio;
      }
      op.key_size = static_cast<std::uint8_t>(format_data_key(op.key_index, op.miss, op.key_text));
    }
    op.key_hash = value_key_hash(op.key());
  }
}

}  // namespace sharebench
