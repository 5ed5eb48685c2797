#include "strategies/dataset.hpp"

#include <algorithm>
#include <limits>

#include "common/error.hpp"
#include "common/hash.hpp"

namespace sharebench {

void Dataset::reserve(std::size_t entries, std::size_t bytes) {
  offsets_.reserve(entries);
  arena_.reserve(bytes);
}

void Dataset::add(std::string_view key, std::string_view value) {
  constexpr std::size_t kMax = std::numeric_limits<std::uint32_t>::max();
  if (key.size() > kMax || value.size() > kMax) throw Error("dataset: key or value over 4 GiB");
  offsets_.push_back({arena_.size(), static_cast<std::uint32_t>(key.size()),
                      static_cast<std::uint32_t>(value.size())});
  arena_.append(key);
  arena_.append(value);
  max_key_size_ = std::max(max_key_size_, key.size());
  max_value_size_ = std::max(max_value_size_, value.size());
}

std::string dataset_differences(const DatasetFacts& mine, const DatasetFacts& theirs) {
  std::string out;
  auto add = [&](const std::string& what, const std::string& a, const std::string& b) {
    if (a != b) out += (out.empty() ? "" : "; ") + what + " " + a + " vs " + b;
  };
  if (!mine.workload.empty() && !theirs.workload.empty()) add("workload", mine.workload, theirs.workload);
  add("keys", std::to_string(mine.keys), std::to_string(theirs.keys));
  add("value size", std::to_string(mine.value_size), std::to_string(theirs.value_size));
  add("counters", std::to_string(mine.counters), std::to_string(theirs.counters));
  return out;
}

std::size_t Dataset::max_key_size() const {
  std::size_t m = max_key_size_;
  for (const auto& c : counters_) m = std::max(m, c.size());
  return m;
}

std::size_t Dataset::max_value_size() const {
  return std::max(max_value_size_, max_put_value_size_);
}

std::uint64_t Dataset::digest() const {
  std::uint64_t h = hash64(arena_, offsets_.size());
  for (const Offsets& o : offsets_) h = mix64(h ^ (std::uint64_t{o.key_size} << 32 | o.value_size));
  for (const auto& c : counters_) h = mix64(h ^ hash64(c));
  return h;
}

}  // namespace sharebench
