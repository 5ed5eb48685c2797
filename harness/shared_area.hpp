// The memory the coordinator and its workers share during one cell: the phase word that
// starts and stops everyone, one fixed-layout report per worker, the checker's report, and
// the last version each worker put to each key (for the lost-put check).
//
// It is one anonymous MAP_SHARED mapping created before fork, so it needs no name and
// cannot leak. Each report has one writer; the coordinator reads it after the writer has
// published `state` with release ordering.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>

#include "common/futex.hpp"
#include "common/os.hpp"
#include "harness/histogram.hpp"

namespace sharebench {

enum class Phase : std::uint32_t { starting, warmup, measure, stop, exit };

enum class ReportState : std::uint32_t { running, ready, done, failed };

inline constexpr std::size_t kMessageSize = 400;

struct WorkerReport {
  std::atomic<ReportState> state;
  // Counted in the measured window only.
  std::uint64_t ops, gets, puts, adds;
  std::uint64_t gets_found;  // gets that returned a value
  std::uint64_t reads_checked, mismatches;
  std::uint64_t cpu_ns;
  // CLOCK_MONOTONIC when the last counted batch ended (0 if none was): a batch that began in
  // the window is counted whole, so the window lasts until it ends.
  std::uint64_t window_end_ns;
  // Counted over warm-up and window alike: what the counters must add up to.
  std::uint64_t add_total;
  std::uint32_t batch, latency_one_in;
  std::uint64_t clock_cost_ns;
  char error[kMessageSize];
  char first_mismatch[kMessageSize];
  struct Figure {
    char name[32];
    std::uint64_t value;
  } figures[8];  // Client::figures(), unused names empty
  LatencyHistogram latency;  // open loop: from the intended start
  LatencyHistogram service;  // open loop: from the actual start; closed loop: unused (= latency)
};

struct CheckReport {
  std::atomic<ReportState> state;
  std::uint64_t keys_checked;
  std::uint64_t invalid_values;  // a final value that is not a well-formed value of its key
  std::uint64_t lost_puts;  // a key whose final value is not the last put of any worker
  std::int64_t counter_sum;  // sum of all counters read back
  char error[kMessageSize];
  char first_problem[kMessageSize];
};

struct ControlBlock {
  std::atomic<Phase> phase;
  std::atomic<std::uint32_t> ready;
};

class SharedArea {
 public:
  // `tracked_keys` > 0 reserves the last-written table (procs x tracked_keys versions).
  SharedArea(int procs, std::uint64_t tracked_keys);

  ControlBlock& control() const { return *control_; }
  WorkerReport& worker(int w) const { return workers_[w]; }
  CheckReport& check() const { return *check_; }
  // last_written(w)[k]: the version of worker w's last acknowledged put to key k (0: none).
  std::span<std::uint64_t> last_written(int w) const {
    return {last_written_ + static_cast<std::size_t>(w) * tracked_keys_, tracked_keys_};
  }
  std::uint64_t tracked_keys() const { return tracked_keys_; }

  void set_phase(Phase phase);

 private:
  Mapping mapping_;
  ControlBlock* control_;
  WorkerReport* workers_;
  CheckReport* check_;
  std::uint64_t* last_written_;
  std::uint64_t tracked_keys_;
};

}  // namespace sharebench
