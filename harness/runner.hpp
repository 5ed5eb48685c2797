// The runner: runs one cell (strategy x workload x procs x repetition) in forked processes.
//
//   1. prepare() in the coordinator, timed (setup_ns).
//   2. fork N workers; each connects, reports ready and waits on the phase word.
//   3. all start together: warm-up, then the measured window, ended for everybody at once
//      by the coordinator's stop phase. Each worker writes a fixed-layout report.
//   4. reap with deadlines; a worker that crashes, hangs or throws fails the cell.
//   5. for writing workloads, a checker process reads the final state back.
//   6. teardown(), always.
// A failure is data in the CellResult, never an exception out of run_cell().
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "harness/results.hpp"
#include "harness/settings.hpp"
#include "harness/workload.hpp"
#include "strategies/registry.hpp"

namespace sharebench {

// The CPU the k-th process of a cell runs on, or -1 unpinned. `cpus` are the allowed CPUs.
int cpu_for(PinMode mode, std::size_t k, const std::vector<int>& cpus);
// The CPUs this process may run on.
std::vector<int> allowed_cpus();

struct CellSpec {
  const StrategyInfo* strategy;
  const WorkloadSpec* workload;
  const Dataset* dataset;
  const OpSchedule* schedule;
  int procs = 1;
  int repetition = 0;
};

// Runs one cell. Never throws for a failure of the cell: that is in the result.
CellResult run_cell(const CellSpec& cell, const RunSettings& settings);

// Why `caps` cannot run `workload`, or "" if it can.
std::string unsupported_reason(const Capabilities& caps, const WorkloadSpec& workload);

// SIGINT/SIGTERM stop the current cell and make interrupt_signal() non-zero; the caller
// stops the sweep, writes what it has, and exits 128 + signal.
void install_interrupt_handlers();
int interrupt_signal();

}  // namespace sharebench
