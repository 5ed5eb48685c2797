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

std::vector<CellAggregates> aggregate_repetitions(std::span<const CellResult> cells) {
  std::vector<CellAggregates> all;
  for (std::size_t i = 0; i < cells.size();) {
    const CellResult& first = cells[i];
    std::size_t end = i;
    while (end < cells.size() && cells[end].strategy == first.strategy && cells[end].workload == first.workload &&
           cells[end].procs == first.procs && cells[end].value_size == first.value_size &&
           cells[end].keys == first.keys) {
      ++end;
    }
    CellAggregates a;
    a.first = i;
    a.count = end - i;
    std::vector<const CellResult*> ok;
    for (const CellResult& c : cells.subspan(i, end - i)) {
      if (c.status == CellStatus::ok) ok.push_back(&c);
    }
    a.ok = ok.size();
    auto of = [&](auto field) {
      std::vector<double> values;
      for (const CellResult* c : ok) values.push_back(field(*c));
      return aggregate(values);
    };
    a.real_time = of([](const CellResult& c) { return c.ns_per_op(); });
    a.cpu_time = of([](const CellResult& c) { return c.cpu_ns_per_op(); });
    a.cell_cpu_time = of([](const CellResult& c) { return c.cell_cpu_ns_per_op(); });
    a.ops_per_cpu_second = of([](const CellResult& c) { return c.ops_per_cpu_second(); });
    a.items_per_second = of([](const CellResult& c) { return c.ops_per_second(); });
    a.bytes_per_second = of([](const CellResult& c) { return c.bytes_per_second(); });
    a.latency_p50 = of([](const CellResult& c) { return static_cast<double>(c.latency.p50); });
    a.latency_p99 = of([](const CellResult& c) { return static_cast<double>(c.latency.p99); });
    a.latency_p999 = of([](const CellResult& c) { return static_cast<double>(c.latency.p999); });
    std::vector<double> limits, efficiencies;
    for (const CellResult* c : ok) {
      if (c->limit_ops_per_second <= 0) continue;
      limits.push_back(c->limit_ops_per_second);
      efficiencies.push_back(c->efficiency());
    }
    a.limited = limits.size();
    a.limit = aggregate(limits);
    a.efficiency = aggregate(efficiencies);
    all.push_back(a);
    i = end;
  }
  return all;
}

}  // namespace sharebench
