// Aggregates over repetitions, on inputs whose answers are known.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "harness/statistics.hpp"

namespace sharebench {
namespace {

TEST(Statistics, KnownOddSample) {
  const std::vector<double> v = {2, 4, 4, 4, 5, 5, 7, 9, 100};
  const Aggregate a = aggregate(v);
  EXPECT_DOUBLE_EQ(a.mean, 140.0 / 9);
  EXPECT_DOUBLE_EQ(a.median, 5);
  // Sample variance: sum of squared deviations / (n - 1).
  double squares = 0;
  for (double x : v) squares += (x - 140.0 / 9) * (x - 140.0 / 9);
  EXPECT_DOUBLE_EQ(a.stddev, std::sqrt(squares / 8));
  EXPECT_DOUBLE_EQ(a.cv, a.stddev / a.mean);
}

TEST(Statistics, EvenSampleMedianIsTheMiddlePairsMean) {
  const std::vector<double> v = {10, 1, 3, 7};
  const Aggregate a = aggregate(v);
  EXPECT_DOUBLE_EQ(a.median, 5);
  EXPECT_DOUBLE_EQ(a.mean, 5.25);
  EXPECT_NEAR(a.stddev, 4.031128874149275, 1e-12);  // sqrt(48.75 / 3)
}

TEST(Statistics, OneValueAndNone) {
  const std::vector<double> one = {42};
  const Aggregate a = aggregate(one);
  EXPECT_EQ(a.mean, 42);
  EXPECT_EQ(a.median, 42);
  EXPECT_EQ(a.stddev, 0);
  EXPECT_EQ(a.cv, 0);
  const Aggregate none = aggregate(std::vector<double>{});
  EXPECT_EQ(none.mean, 0);
}

TEST(Statistics, IdenticalValuesHaveNoSpread) {
  const Aggregate a = aggregate(std::vector<double>{3, 3, 3});
  EXPECT_EQ(a.stddev, 0);
  EXPECT_EQ(a.cv, 0);
}

}  // namespace
}  // namespace sharebench
