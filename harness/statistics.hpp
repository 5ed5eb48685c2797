// Aggregates over repetitions, computed as Google Benchmark computes them: the mean, the
// median, the sample standard deviation (n - 1) and the coefficient of variation. Computed
// once per run, after the cells; the reporters and the warnings read them.
#pragma once

#include <span>
#include <vector>

#include "harness/results.hpp"

namespace sharebench {

struct Aggregate {
  double mean = 0, median = 0, stddev = 0, cv = 0;
};

// Of an empty span, all zero; of one value, stddev and cv are 0.
Aggregate aggregate(std::span<const double> values);

// The repetitions of one cell (strategy/workload/procs/value size/keys), consecutive in the run's cells, and
// their aggregates over the repetitions that ran ok (all zero if none did).
struct CellAggregates {
  std::size_t first = 0, count = 0;  // the repetitions are cells[first, first + count)
  std::size_t ok = 0;  // repetitions that ran ok
  Aggregate real_time, cpu_time, items_per_second;  // ns per op, workers' CPU ns per op, ops/s
  Aggregate cell_cpu_time, ops_per_cpu_second;  // every process of the cell: CPU ns per op, ops per CPU-second
  Aggregate bytes_per_second;  // of values moved (CellResult::bytes_per_second)
  Aggregate latency_p50, latency_p99, latency_p999;  // ns
  // Over the repetitions that ran ok and have a limit (limited of them): each repetition's
  // limit, and its efficiency against it (with several repetitions, each has its own floors).
  std::size_t limited = 0;
  Aggregate limit, efficiency;
};

// One entry per cell, in run order.
std::vector<CellAggregates> aggregate_repetitions(std::span<const CellResult> cells);

}  // namespace sharebench
