#include "harness/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace sharebench {

Aggregate aggregate(std::span<const double> values) {
  Aggregate a;
  const auto n = values.size();
  if (n == 0) return a;
  a.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(n);
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  a.median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  if (n > 1) {
    double squares = 0;
    for (double v : values) squares += (v - a.mean) * (v - a.mean);
    a.stddev = std::sqrt(squares / static_cast<double>(n - 1));
  }
  a.cv = a.mean != 0 ? a.stddev / a.mean : 0;
  return a;
}

}  // namespace sharebench
