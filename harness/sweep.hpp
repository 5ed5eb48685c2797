// A run plan (the cross product the command line asked for) and the loop that runs it.
#pragma once

#include <string>
#include <vector>

#include "harness/report.hpp"
#include "harness/runner.hpp"

namespace sharebench {

struct RunPlan {
  std::vector<const StrategyInfo*> strategies;
  std::vector<WorkloadSpec> workloads;
  std::vector<int> procs;
  int repetitions = 1;
  RunSettings settings;
};

// Runs workload x strategy x procs x repetition in that nesting, appending each result to
// report.cells and printing its row. Stops after the current cell on SIGINT/SIGTERM and marks
// the report partial.
void run_sweep(const RunPlan& plan, RunReport& report, ConsoleTable& table);

// The `null` strategy's ns per op with one worker at `batch`: what the harness costs.
double measure_harness_overhead(const RunSettings& settings, std::size_t batch);

// Warnings about the conditions of the run (build type, oversubscription, short cells, ...).
std::vector<std::string> run_warnings(const RunPlan& plan, const RunReport& report);

}  // namespace sharebench
