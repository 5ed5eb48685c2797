// Aggregates over repetitions, computed as Google Benchmark computes them: the mean, the
// median, the sample standard deviation (n - 1) and the coefficient of variation.
#pragma once

#include <span>

namespace sharebench {

struct Aggregate {
  double mean = 0, median = 0, stddev = 0, cv = 0;
};

// Of an empty span, all zero; of one value, stddev and cv are 0.
Aggregate aggregate(std::span<const double> values);

}  // namespace sharebench
