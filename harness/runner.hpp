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

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "harness/workload.hpp"
#include "strategies/registry.hpp"
#include "strategies/strategy.hpp"

namespace sharebench {

// CPU affinity of a cell's processes: none; spread (process k on CPU k mod n, helpers first,
// then workers); compact (all on the first CPU: round trips never cross CPUs).
enum class PinMode { none, spread, compact };
const char* to_string(PinMode mode);
// The CPU the k-th process of a cell runs on, or -1 unpinned. `cpus` are the allowed CPUs.
int cpu_for(PinMode mode, std::size_t k, const std::vector<int>& cpus);
// The CPUs this process may run on.
std::vector<int> allowed_cpus();

struct RunSettings {
  std::chrono::nanoseconds duration{std::chrono::seconds(2)};
  std::chrono::nanoseconds warmup{std::chrono::milliseconds(500)};
  std::uint64_t seed = 1;
  std::size_t batch = 0;  // 0: each client's preferred batch
  std::uint32_t latency_one_in = 0;  // time one batch in N; 0: chosen per worker (auto)
  // Open loop: operations per second, all workers together, at fixed intervals; latency is
  // measured from each batch's intended start (coordinated omission corrected). 0: closed loop.
  double target_ops_per_second = 0;
  PinMode pin = PinMode::none;
  StrategyOptions strategy_options;
  std::chrono::milliseconds connect_timeout{30'000};  // fork to ready
  std::chrono::milliseconds stop_grace{5'000};  // window end to every report written
  std::chrono::milliseconds check_timeout{120'000};  // the final-state check
};

struct CellSpec {
  const StrategyInfo* strategy;
  const WorkloadSpec* workload;
  const Dataset* dataset;
  const OpSchedule* schedule;
  int procs = 1;
  int repetition = 0;
};

enum class CellStatus { ok, skipped, failed };
const char* to_string(CellStatus status);

struct LatencySummary {
  std::uint64_t p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
  double mean = 0;
  std::uint64_t timed_ops = 0;  // ops whose latency was recorded
};

struct ProcessFigures {
  std::uint64_t ops = 0;
  double ops_per_second = 0;
  double cpu_seconds = 0;
  std::uint32_t latency_one_in = 0;
  long pss_kib = -1;
  int cpu = -1;  // pinned CPU, -1 if not pinned
};

struct CheckFigures {
  std::uint64_t reads_checked = 0;
  std::uint64_t mismatches = 0;  // reads that saw a wrong value or presence
  std::uint64_t lost_updates = 0;  // lost puts + lost adds
  std::uint64_t lost_puts = 0;
  std::int64_t lost_adds = 0;  // acknowledged adds minus the counters' sum
  std::uint64_t final_keys_checked = 0;
  std::string first_problem;  // the first mismatch or loss, described
};

struct CellResult {
  std::string strategy, workload;
  int procs = 0;
  int repetition = 0;
  CellStatus status = CellStatus::ok;
  std::string reason;  // why skipped or failed
  double window_seconds = 0;
  std::uint64_t ops = 0, gets = 0, puts = 0, adds = 0;
  double cpu_seconds = 0;  // all workers
  std::size_t batch = 0;
  std::uint64_t clock_cost_ns = 0;
  LatencySummary latency;  // open loop: from each batch's intended start
  LatencySummary service_time;  // from each batch's actual start (= latency in closed loop)
  std::uint64_t setup_ns = 0;
  long coordinator_pss_kib = -1;
  std::vector<long> helper_pss_kib;  // servers/owners the strategy started
  std::vector<int> helper_cpus;  // where they were pinned (-1: not pinned)
  std::uint64_t shared_bytes = 0;
  CheckFigures check;
  std::vector<ProcessFigures> per_process;
  std::map<std::string, std::uint64_t> strategy_figures;  // Client::figures(), summed over workers

  double ops_per_second() const { return window_seconds > 0 ? static_cast<double>(ops) / window_seconds : 0; }
  double ns_per_op() const { return ops > 0 ? window_seconds * 1e9 / static_cast<double>(ops) : 0; }
  double cpu_ns_per_op() const { return ops > 0 ? cpu_seconds * 1e9 / static_cast<double>(ops) : 0; }
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
