// One cell's inputs, for tests that run cells end to end through the runner: a workload
// shrunk to a test's size, its dataset and schedule, and settings for a short window with
// this test's own object prefix.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "harness/runner.hpp"
#include "strategies/registry.hpp"
#include "tests/test_support.hpp"

namespace sharebench::testing {

struct TestCell {
  TestCell() {
    settings.duration = std::chrono::milliseconds(300);
    settings.warmup = std::chrono::milliseconds(0);
    settings.strategy_options.object_prefix = test_object_prefix();
  }

  // Switches to the workload `name` with `keys` keys (a counter workload keeps its counters).
  void use(const char* name, std::uint64_t keys) {
    workload = *find_workload(name);
    if (workload.keys > 0) workload.keys = keys;
    dataset = build_dataset(workload);
    schedule = std::make_unique<OpSchedule>(workload, settings.seed);
  }

  CellResult run(const StrategyInfo& info, int procs) {
    return run_cell(CellSpec{&info, &workload, &dataset, schedule.get(), procs, 0}, settings);
  }

  RunSettings settings;
  WorkloadSpec workload;
  Dataset dataset;
  std::unique_ptr<OpSchedule> schedule;
};

}  // namespace sharebench::testing
