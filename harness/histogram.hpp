// Latency histogram, HdrHistogram-style: log-linear buckets with 3 significant digits.
//
// Values below 2048 ns are counted exactly; above, each power-of-two range is split into 1024
// equal buckets, so a reported value is within 1/1024 (< 0.1%) of the recorded one. Values up
// to 2^42 ns (73 minutes) are tracked; larger ones land in the top bucket and are counted as
// saturated. The type is trivially copyable and valid when zero-filled, so a worker can
// record straight into shared memory; histograms merge by adding buckets.
#pragma once

#include <array>
#include <bit>
#include <cstdint>

namespace sharebench {

class LatencyHistogram {
 public:
  static constexpr int kSignificantDigits = 3;
  static constexpr unsigned kSubBucketBits = 11;  // 2048 >= 2 * 10^3
  static constexpr unsigned kMaxValueBits = 42;
  static constexpr std::size_t kBucketCount =
      (std::size_t{1} << kSubBucketBits) +
      (kMaxValueBits - kSubBucketBits) * (std::size_t{1} << (kSubBucketBits - 1));
  static constexpr std::uint64_t kMaxTrackable = (std::uint64_t{1} << kMaxValueBits) - 1;

  void record(std::uint64_t value_ns, std::uint64_t count = 1) {
    if (value_ns > kMaxTrackable) {
      saturated_ += count;
      value_ns = kMaxTrackable;
    }
    counts_[index_of(value_ns)] += count;
    if (total_ == 0 || value_ns < min_) min_ = value_ns;
    if (value_ns > max_) max_ = value_ns;
    total_ += count;
    sum_ += value_ns * count;
  }
  void merge(const LatencyHistogram& other);
  void clear() { *this = LatencyHistogram{}; }

  std::uint64_t count() const { return total_; }
  std::uint64_t saturated() const { return saturated_; }
  std::uint64_t min() const { return min_; }
  std::uint64_t max() const { return max_; }
  double mean() const { return total_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(total_); }
  // The smallest recorded value v such that `percentile` % of recordings are <= v, within
  // the stated precision. 0 when empty.
  std::uint64_t percentile(double percentile) const;

  static std::size_t index_of(std::uint64_t value) {
    constexpr std::uint64_t kSub = std::uint64_t{1} << kSubBucketBits;
    if (value < kSub) return static_cast<std::size_t>(value);
    const unsigned shift = static_cast<unsigned>(std::bit_width(value)) - kSubBucketBits;
    return static_cast<std::size_t>(kSub + (shift - 1) * (kSub / 2) + ((value >> shift) - kSub / 2));
  }
  // The highest value that index_of() maps to `index`.
  static std::uint64_t highest_value_of(std::size_t index);

 private:
  std::array<std::uint64_t, kBucketCount> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t saturated_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace sharebench
