// The CPU time of every process of a cell: the workers and whatever else the strategy started
// (a server, a queue owner, redis-server, a Python Manager's process), however it started
// them. The coordinator finds them as its descendants in /proc, reads their CPU clocks at both
// ends of the window, and charges the difference.
//
// A process's own figure is its CPU clock (clock_getcpuclockid: user + system, every thread,
// ended threads included, in ns). A process born in the window counts from 0. One that ends in
// the window is charged through its parent's reaped-children time (whole life, less what the
// first snapshot had seen) when the parent is the coordinator or another process of the cell;
// one whose parent went too, or that was never waited for, is not charged for its last part.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <vector>

#include "harness/results.hpp"

namespace sharebench {

struct ProcessCpu {
  pid_t pid = 0, parent = 0;
  unsigned long long started = 0;  // since boot, clock ticks: a pid reused is another process
  std::uint64_t cpu_ns = 0;        // its own CPU so far
  std::uint64_t reaped_ns = 0;  // its children it waited for, whole lives (clock-tick resolution)
};

struct CpuSnapshot {
  std::vector<ProcessCpu> descendants;  // of the process that took it
  std::uint64_t own_cpu_ns = 0;         // the process that took it (the coordinator)
  std::uint64_t own_reaped_ns = 0;      // its children it waited for
  std::uint64_t took_ns = 0;            // wall-clock time the clock reads took
};

// The calling process's descendants, from one pass over /proc (every process of the machine:
// the slow part), without their clocks.
std::vector<ProcessCpu> find_descendants();
// The clocks of `processes`, those that have one still, and the caller's own: a few system
// calls a process.
CpuSnapshot read_clocks(std::vector<ProcessCpu> processes);
// Completes `end`, the clocks of the start's processes read at the end of the window, with a
// pass over /proc made after it: their reaped time, and the processes born meanwhile.
void add_newcomers(CpuSnapshot& end, const std::vector<ProcessCpu>& found);

// What the descendants burnt between `start` and `end`: the processes in `workers` as workers,
// every other one as a helper.
CellCpu cpu_between(const CpuSnapshot& start, const CpuSnapshot& end,
                    std::span<const pid_t> workers);

// The runner's use of the above. The passes over /proc are made before the window starts and
// after it ends; only the clock reads frame it, so the span charged is the window within
// microseconds and no worker is timed while the coordinator walks /proc.
class CellCpuMeter {
 public:
  // Just before the window: finds the cell's processes, then reads their clocks.
  void start();
  // Just after it: reads the clocks again, then looks for processes born meanwhile.
  CellCpu stop(std::span<const pid_t> workers);

 private:
  CpuSnapshot start_;
  std::uint64_t scan_ns_ = 0;
};

}  // namespace sharebench
