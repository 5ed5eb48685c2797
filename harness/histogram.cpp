#include "harness/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace sharebench {

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.total_ == 0) return;
  for (std::size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  min_ = total_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  total_ += other.total_;
  saturated_ += other.saturated_;
  sum_ += other.sum_;
}

std::uint64_t LatencyHistogram::highest_value_of(std::size_t index) {
  constexpr std::size_t kSub = std::size_t{1} << kSubBucketBits;
  if (index < kSub) return index;
  const std::size_t half = kSub / 2;
  const unsigned shift = static_cast<unsigned>((index - kSub) / half) + 1;
  const std::uint64_t mantissa = (index - kSub) % half + half;
  return ((mantissa + 1) << shift) - 1;
}

std::uint64_t LatencyHistogram::percentile(double percentile) const {
  if (total_ == 0) return 0;
  const double clamped = std::clamp(percentile, 0.0, 100.0);
  // The epsilon keeps 99.9% of 1000 at rank 999, not 1000 (99.9 / 100 * 1000 = 999.0000000000001).
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(clamped / 100.0 * static_cast<double>(total_) - 1e-9)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(highest_value_of(i), min_, max_);
  }
  return max_;
}

}  // namespace sharebench
