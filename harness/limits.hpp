// Limits: the ceiling beside every figure. Each strategy names the raw mechanism under each
// kind of its operations (Floors in registry.hpp); here each mechanism is measured bare, on
// this machine, for the cell's dataset, schedule, batch and process count, in the same run:
//
//   table lookup      a bare open-addressing image of the dataset (mmap-table's shape: 64-bit
//                     slots with fingerprints, packed records, 4 KiB shared pages), looked up
//                     with the schedule's keys; batches prefetch slots, then records
//   round trips       N client processes and one forked echo process, frames of the strategy's
//                     size, up to the strategy's in-flight depth: a Unix socketpair, ZeroMQ
//                     DEALER -> ROUTER on ipc://, queue-passing's own queues and waits with
//                     an owner that drains them in batches as queue-passing's does
//   shared atomic add fetch_add on the workload's counters in a shared mapping
//   locked add        += on packed counters under one process-shared POSIX semaphore
//
// A cell's limit is that rate, or for a mix the time-weighted one (1 / sum(ratio_k / floor_k));
// efficiency = the cell's ops/s / its limit. Each floor is the median of several short windows
// after a warm-up, its processes placed as the cell's are (limits.cpp says why not the best).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "harness/context.hpp"
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

class BareTableHolder;

// What the floors of one dataset read: the dataset, its schedule, and its bare table image,
// built the first time a floor needs it and shared by every later one.
class FloorData {
 public:
  FloorData(const Dataset& dataset, const OpSchedule& schedule);
  ~FloorData();
  const Dataset& dataset() const { return dataset_; }
  const OpSchedule& schedule() const { return schedule_; }
  const BareTableHolder& table();

 private:
  const Dataset& dataset_;
  const OpSchedule& schedule_;
  std::unique_ptr<BareTableHolder> table_;
};

// Measures `floor` now: operations per second of all its processes together, 0 if it could not
// be measured (a fork or a socket failed). Named objects (message queues, a socket directory)
// carry the settings' object prefix and are removed before it returns.
double measure_floor(const FloorSpec& floor, FloorData& data, const RunSettings& settings);

// The limits of a run's cells. With one repetition a cell, each floor is measured the first
// time a cell needs it and reused by every later cell that needs the same one (same mechanism,
// depth, procs, and data where it reads data), whichever strategy that cell runs. With several
// (`per_repetition`), every repetition has its floors measured moments after it, so that its
// efficiency is a ratio of two figures taken under the same load: on a shared machine both
// drift together (a round trip and its floor correlated 0.76 over ten runs here), and the
// median of the repetitions' ratios moves less than either. A cell faster than its floor has
// it measured again (up to twice), the best figure kept (with one repetition, for that cell and
// every later one).
class LimitMeter {
 public:
  LimitMeter(const RunSettings& settings, bool per_repetition) : settings_(settings), per_repetition_(per_repetition) {}

  // The limit of a cell that ran (`cell.batch` is what its workers used), or none: a strategy
  // without floors, an operation of the mix without one, a cell that did not run.
  CellLimit limit_of(const CellResult& cell, const StrategyInfo& strategy, const WorkloadSpec& workload,
                     const Dataset& dataset, const OpSchedule& schedule);
  double seconds_measuring() const { return seconds_; }
  // Every floor measured so far, in the order measured.
  const std::vector<MeasuredFloor>& floors() const { return floors_; }

 private:
  // A floor measured before is reused, unless a cell beat it (`beaten`) (then it is measured again, at
  // most kRemeasures times, and the best figure kept); with per_repetition_, it is measured now.
  double floor_rate(const FloorSpec& floor, const WorkloadSpec& workload, const Dataset& dataset,
                    const OpSchedule& schedule, bool beaten);

  const RunSettings& settings_;
  const bool per_repetition_;
  std::vector<MeasuredFloor> floors_;
  std::vector<std::vector<double>> rates_;  // per_repetition_: [i] every rate floors_[i] was measured at
  std::unique_ptr<FloorData> data_;  // the current workload's
  // Which workload and sizes data_ holds: a sweep frees one size's dataset before the next,
  // which may then sit at the same address, so the address cannot tell them apart.
  std::tuple<std::string, std::size_t, std::size_t> data_of_;
  double seconds_ = 0;
};

}  // namespace sharebench
