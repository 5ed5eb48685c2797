// The latency histogram: stated precision, exact counts, merge equals recording everything.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <vector>

#include "harness/histogram.hpp"

namespace sharebench {
namespace {

// The precision the header promises: within 1/1024 of the value, i.e. 3 significant digits.
void expect_within_precision(std::uint64_t reported, std::uint64_t actual) {
  const double tolerance = static_cast<double>(actual) / 1024.0;
  EXPECT_LE(std::abs(static_cast<double>(reported) - static_cast<double>(actual)), tolerance)
      << "reported " << reported << " for " << actual;
}

TEST(Histogram, SmallValuesAreExact) {
  auto h = std::make_unique<LatencyHistogram>();
  for (std::uint64_t v = 0; v < 2048; ++v) h->record(v);
  EXPECT_EQ(h->count(), 2048u);
  EXPECT_EQ(h->min(), 0u);
  EXPECT_EQ(h->max(), 2047u);
  EXPECT_EQ(h->percentile(50), 1023u);
  EXPECT_EQ(h->percentile(100), 2047u);
}

TEST(Histogram, EveryBucketBoundaryRoundTrips) {
  for (std::size_t i = 0; i < LatencyHistogram::kBucketCount; ++i) {
    const std::uint64_t high = LatencyHistogram::highest_value_of(i);
    ASSERT_EQ(LatencyHistogram::index_of(high), i);
    if (i + 1 < LatencyHistogram::kBucketCount) {
      ASSERT_EQ(LatencyHistogram::index_of(high + 1), i + 1);
    }
  }
  EXPECT_EQ(LatencyHistogram::index_of(LatencyHistogram::kMaxTrackable), LatencyHistogram::kBucketCount - 1);
}

TEST(Histogram, SingleValuesComeBackWithinThreeSignificantDigits) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    const std::uint64_t v = rng() % (std::uint64_t{1} << (1 + rng() % 41));
    auto h = std::make_unique<LatencyHistogram>();
    h->record(v);
    h->record(v + v / 2 + 5000);  // a larger value, so percentile(50) is not clamped to max
    expect_within_precision(h->percentile(50), v);
  }
}

TEST(Histogram, PercentilesOfAKnownDistribution) {
  auto h = std::make_unique<LatencyHistogram>();
  for (std::uint64_t v = 1; v <= 100'000; ++v) h->record(v * 100);  // 100 ns .. 10 ms
  expect_within_precision(h->percentile(50), 5'000'000);
  expect_within_precision(h->percentile(90), 9'000'000);
  expect_within_precision(h->percentile(99), 9'900'000);
  expect_within_precision(h->percentile(99.9), 9'990'000);
  EXPECT_EQ(h->max(), 10'000'000u);
  EXPECT_EQ(h->min(), 100u);
  EXPECT_DOUBLE_EQ(h->mean(), 5'000'050.0);
}

TEST(Histogram, RecordWithCountEqualsRepeatedRecords) {
  auto a = std::make_unique<LatencyHistogram>();
  auto b = std::make_unique<LatencyHistogram>();
  a->record(12345, 16);
  for (int i = 0; i < 16; ++i) b->record(12345);
  EXPECT_EQ(a->count(), b->count());
  EXPECT_EQ(a->percentile(99), b->percentile(99));
  EXPECT_EQ(a->mean(), b->mean());
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(3);
  auto all = std::make_unique<LatencyHistogram>();
  auto merged = std::make_unique<LatencyHistogram>();
  for (int part = 0; part < 4; ++part) {
    auto piece = std::make_unique<LatencyHistogram>();
    for (int i = 0; i < 10'000; ++i) {
      const std::uint64_t v = 50 + rng() % (1'000'000u >> part);
      piece->record(v);
      all->record(v);
    }
    merged->merge(*piece);
  }
  EXPECT_EQ(merged->count(), all->count());
  EXPECT_EQ(merged->min(), all->min());
  EXPECT_EQ(merged->max(), all->max());
  EXPECT_EQ(merged->mean(), all->mean());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) EXPECT_EQ(merged->percentile(p), all->percentile(p)) << p;
}

TEST(Histogram, MergingAnEmptyOneChangesNothing) {
  auto h = std::make_unique<LatencyHistogram>();
  h->record(500);
  h->merge(LatencyHistogram{});
  EXPECT_EQ(h->count(), 1u);
  EXPECT_EQ(h->min(), 500u);
  auto empty = std::make_unique<LatencyHistogram>();
  empty->merge(*h);
  EXPECT_EQ(empty->min(), 500u);
  EXPECT_EQ(LatencyHistogram{}.percentile(99), 0u);
}

TEST(Histogram, HugeValuesSaturateAndAreCounted) {
  auto h = std::make_unique<LatencyHistogram>();
  h->record(std::uint64_t{1} << 50);
  EXPECT_EQ(h->saturated(), 1u);
  EXPECT_EQ(h->max(), LatencyHistogram::kMaxTrackable);
}

}  // namespace
}  // namespace sharebench
