// Limits: the ceiling beside every figure. Each strategy names the raw mechanism under each
// kind of its operations (Floors in registry.hpp); here each mechanism is measured bare, on
// this machine, for the cell's dataset, schedule, batch and process count, in the same run:
//
//   table lookup      a bare open-addressing image of the dataset (mmap-table's shape: 64-bit
//                     slots with fingerprints, packed records, 4 KiB shared pages), looked up
//                     with the schedule's keys; batches prefetch slots, then records
//   round trips       N client processes and one forked echo process, frames of the strategy's
//                     size, up to the strategy's in-flight depth: a Unix socketpair, ZeroMQ
//                     DEALER -> ROUTER on ipc://, two Boost.Interprocess message queues polled
//   shared atomic add fetch_add on the workload's counters in a shared mapping
//
// A cell's limit is that rate, or for a mix the time-weighted one (1 / sum(ratio_k / floor_k));
// efficiency = the cell's ops/s / its limit. Each floor is the best of several short windows
// (interference only slows a window down), measured the first time a cell needs it.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "harness/results.hpp"
#include "harness/settings.hpp"
#include "harness/workload.hpp"
#include "strategies/registry.hpp"

namespace sharebench {

struct CellLimit {
  double ops_per_second = 0;  // 0: none
  std::string mechanism;  // "table lookup, batch 16, 1 process"
};

// One floor of one mechanism: what it is measured with.
struct FloorSpec {
  Mechanism mechanism = Mechanism::none;
  std::size_t depth = 1;  // lookups per batch, or round trips in flight
  int procs = 1;
  std::size_t reply_bytes = 32;  // round trips: the value a reply carries
};

// "table lookup, batch 16, 1 process"
std::string describe(const FloorSpec& floor);

// Measures `floor` now: operations per second of all its processes together, 0 if it could not
// be measured (a fork or a socket failed). `dataset` and `schedule` feed table lookups and adds.
// Named objects (message queues) carry `object_prefix` and are removed before it returns.
double measure_floor(const FloorSpec& floor, const Dataset& dataset, const OpSchedule& schedule,
                     const RunSettings& settings);

// The limits of a run's cells; each floor is measured once per run and dataset.
class LimitMeter {
 public:
  explicit LimitMeter(const RunSettings& settings) : settings_(settings) {}

  // The limit of a cell that ran (`cell.batch` is what its workers used), or none: a strategy
  // without floors, an operation of the mix without one, a cell that did not run.
  CellLimit limit_of(const CellResult& cell, const StrategyInfo& strategy, const WorkloadSpec& workload,
                     const Dataset& dataset, const OpSchedule& schedule);
  double seconds_measuring() const { return seconds_; }

 private:
  double floor_rate(const FloorSpec& floor, const WorkloadSpec& workload, const Dataset& dataset,
                    const OpSchedule& schedule);

  const RunSettings& settings_;
  // (mechanism, depth, procs, reply bytes, workload and sizes: for the floors that read its data)
  std::map<std::tuple<Mechanism, std::size_t, int, std::size_t, std::string>, double> measured_;
  double seconds_ = 0;
};

}  // namespace sharebench
