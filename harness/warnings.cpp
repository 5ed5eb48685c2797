#include "harness/warnings.hpp"

#include <algorithm>
#include <cstdio>

#include "harness/clean.hpp"

namespace sharebench {

std::vector<std::string> start_warnings(const RunContext& c, std::span<const int> procs,
                                        std::span<const std::string> input) {
  std::vector<std::string> warnings;
  if (c.build_type != "Release" && c.build_type != "RelWithDebInfo") {
    warnings.push_back("sharebench was built as " + (c.build_type.empty() ? "an unoptimized build" : c.build_type) +
                       "; timings will be slow (build with -DCMAKE_BUILD_TYPE=Release)");
  }
  if (!c.sanitizers.empty()) {
    warnings.push_back("sharebench was built with sanitizers (" + c.sanitizers + "); timings are not representative");
  }
  const int max_procs = procs.empty() ? 0 : *std::max_element(procs.begin(), procs.end());
  if (max_procs > c.num_cpus) {
    warnings.push_back("procs " + std::to_string(max_procs) + " > " + std::to_string(c.num_cpus) +
                       " online CPUs: workers share cores and figures include time-slicing");
  }
  if (!c.scaling_governor.empty() && c.scaling_governor != "performance") {
    warnings.push_back("CPU frequency scaling governor is '" + c.scaling_governor +
                       "', not 'performance': figures may vary with clock speed");
  }
  warnings.insert(warnings.end(), input.begin(), input.end());
  if (const auto stale = find_stale_objects(); !stale.empty()) {
    warnings.push_back(std::to_string(stale.size()) + " objects left by sharebench runs that died (e.g. " +
                       stale.front().path + "); `sharebench clean` removes them");
  }
  return warnings;
}

std::vector<std::string> result_warnings(const RunReport& report) {
  std::vector<std::string> warnings;
  // The spread of a cell's repetitions says how far to trust the cell.
  for (const CellAggregates& a : report.aggregates) {
    if (a.ok > 1 && a.items_per_second.cv > 0.05) {
      const CellResult& first = report.cells[a.first];
      char line[200];
      std::snprintf(line, sizeof line, "%s varies by %.1f%% (cv of ops/s) across %zu repetitions",
                    first.name().c_str(), 100 * a.items_per_second.cv, a.ok);
      warnings.push_back(line);
    }
  }
  for (const CellResult& cell : report.cells) {
    // An open loop that falls behind measures a queue, not the strategy at the target rate.
    if (cell.status == CellStatus::ok && cell.open_loop() && !cell.target_met()) {
      const std::string repetition =
          report.repetitions > 1 ? " (repetition " + std::to_string(cell.repetition) + ")" : "";
      warnings.push_back(cell.name() + repetition +
                         " fell behind its open-loop target: " + human_rate(cell.ops_per_second()) + " ops/s of " +
                         human_rate(cell.target_ops_per_second) +
                         " ops/s targeted (more than 5% short); its latency includes the queue that built up");
    }
    if (cell.status == CellStatus::ok && cell.ops < 10'000) {
      warnings.push_back(cell.name() + " ran only " +
                         std::to_string(cell.ops) + " ops (< 10000): too few for stable figures; raise --duration");
    }
  }
  return warnings;
}

}  // namespace sharebench
