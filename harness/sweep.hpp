// A run plan (the cross product the command line asked for) and the run of it: results ->
// aggregates -> reporters, as Google Benchmark runs its benchmarks.
#pragma once

#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "harness/report.hpp"
#include "harness/runner.hpp"

namespace sharebench {

struct RunPlan {
  std::vector<const StrategyInfo*> strategies;
  // One per workload x value size x key count, in that nesting: a sweep's sizes are workloads
  // that share a name.
  std::vector<WorkloadSpec> workloads;
  // The cells skipped without running, by index into `workloads`, with the reason: its dataset
  // cannot fit in memory (strategy nullptr: for every strategy), or a strategy's own limit
  // (a message size, a segment) refuses its sizes.
  std::map<std::pair<std::size_t, const StrategyInfo*>, std::string> skipped;
  bool sweeps_value_size = false, sweeps_keys = false;  // more than one given: names carry them
  std::vector<int> procs;
  int repetitions = 1;
  RunSettings settings;
  nlohmann::json described;  // every option's value, for the report's context.settings
  std::vector<std::string> warnings;  // what checking the options found
  bool measure_limits = true;  // each cell's limit (harness/limits.hpp); --no-limits: none
  bool calibrate = true;  // the calibration and the harness's costs first; --no-calibration: neither
};

// Runs the plan and returns its report. Measures the calibration and harness-cost figures
// into `context` (unless !plan.calibrate), gathers the warnings, then runs workload (x value size x keys) x strategy x
// procs x repetition in that nesting, showing each cell to the reporters as it finishes; aggregates the repetitions
// once at the end. SIGINT/SIGTERM stop the run after the current cell and mark it partial.
RunReport run_plan(const RunPlan& plan, RunContext context, std::span<Reporter* const> reporters);

}  // namespace sharebench
