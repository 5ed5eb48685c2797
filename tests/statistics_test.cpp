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

CellResult cell(const char* strategy, int procs, std::uint64_t ops, CellStatus status = CellStatus::ok) {
  CellResult c;
  c.strategy = strategy;
  c.workload = "read";
  c.procs = procs;
  c.ops = ops;
  c.window_seconds = 1;
  c.status = status;
  return c;
}

// A cell's repetitions are the consecutive results with its strategy, workload and procs;
// its aggregates are over those that ran ok.
TEST(Statistics, RepetitionsAreGroupedByCellAndAggregatedOverTheOkOnes) {
  const std::vector<CellResult> cells = {cell("a", 1, 100), cell("a", 1, 300), cell("a", 1, 0, CellStatus::failed),
                                         cell("a", 2, 50), cell("b", 2, 7, CellStatus::skipped)};
  const std::vector<CellAggregates> all = aggregate_repetitions(cells);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].first, 0u);
  EXPECT_EQ(all[0].count, 3u);
  EXPECT_EQ(all[0].ok, 2u);
  EXPECT_DOUBLE_EQ(all[0].items_per_second.mean, 200);
  EXPECT_DOUBLE_EQ(all[0].real_time.median, (1e9 / 100 + 1e9 / 300) / 2);
  EXPECT_EQ(all[1].first, 3u);
  EXPECT_EQ(all[1].count, 1u);
  EXPECT_DOUBLE_EQ(all[1].items_per_second.mean, 50);
  EXPECT_EQ(all[2].ok, 0u);
  EXPECT_EQ(all[2].items_per_second.mean, 0) << "no ok repetition: all zero";
}

}  // namespace
}  // namespace sharebench
