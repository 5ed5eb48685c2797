// What one cell produced: the plain record the runner fills and every reporter formats (as
// Google Benchmark's Run). Aggregates over repetitions are computed from these (statistics.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sharebench {

enum class CellStatus { ok, skipped, failed };
const char* to_string(CellStatus status);

// An open-loop cell met its target if it achieved at least this fraction of it.
inline constexpr double kTargetMetFraction = 0.95;

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

// What every process of a cell burnt (user + system) from just before the window to just after
// it (harness/cell_cpu.hpp). The coordinator, the harness itself, is reported, not charged.
struct CellCpu {
  double workers_seconds = 0;  // the worker processes, from /proc
  double helpers_seconds = 0;  // every other process of the cell: servers, owners, redis-server
  int processes = 0;  // processes of the cell seen by either snapshot
  double coordinator_seconds = 0;
  std::uint64_t snapshot_ns = 0;  // the clock reads at both ends of the window, wall clock
  std::uint64_t scan_ns = 0;  // the passes over /proc before and after it, wall clock
};

struct CellResult {
  std::string strategy, workload;
  int procs = 0;
  std::uint64_t keys = 0;  // the cell's dataset: keys preloaded, bytes per value
  std::uint32_t value_size = 0;
  // The dimensions its name carries besides strategy, workload and procs: those the run sweeps.
  bool named_value_size = false, named_keys = false;
  int repetition = 0;
  CellStatus status = CellStatus::ok;
  std::string reason;  // why skipped or failed
  double window_seconds = 0;
  std::uint64_t ops = 0, gets = 0, puts = 0, adds = 0;
  std::uint64_t gets_found = 0;  // gets that returned a value
  double cpu_seconds = 0;  // all workers, as each counted itself (Google Benchmark's cpu_time)
  CellCpu cell_cpu;
  std::size_t batch = 0;
  double target_ops_per_second = 0;  // open loop, all workers together; 0 in closed loop
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
  // The ceiling of this cell (harness/limits.hpp): its mechanism's floor measured bare in the
  // same run; 0 when it has none or limits were not measured.
  double limit_ops_per_second = 0;
  std::string limit_mechanism;

  // "strategy/workload/procs:N", then "/value:64K" and "/keys:1M" where the run sweeps them.
  std::string name() const;
  double ops_per_second() const { return window_seconds > 0 ? static_cast<double>(ops) / window_seconds : 0; }
  // Bytes of values moved per second: each get that returned a value and each put carries
  // value_size bytes; an add carries none.
  double bytes_per_second() const {
    return window_seconds > 0 ? static_cast<double>((gets_found + puts) * value_size) / window_seconds : 0;
  }
  double ns_per_op() const { return ops > 0 ? window_seconds * 1e9 / static_cast<double>(ops) : 0; }
  // The fraction of its limit the cell reached; 0 without a limit.
  double efficiency() const { return limit_ops_per_second > 0 ? ops_per_second() / limit_ops_per_second : 0; }
  double cpu_ns_per_op() const { return ops > 0 ? cpu_seconds * 1e9 / static_cast<double>(ops) : 0; }
  // Every process of the cell, per op and the other way round.
  double cell_cpu_seconds() const { return cell_cpu.workers_seconds + cell_cpu.helpers_seconds; }
  double cell_cpu_ns_per_op() const { return ops > 0 ? cell_cpu_seconds() * 1e9 / static_cast<double>(ops) : 0; }
  double ops_per_cpu_second() const {
    return cell_cpu_seconds() > 0 ? static_cast<double>(ops) / cell_cpu_seconds() : 0;
  }
  bool open_loop() const { return target_ops_per_second > 0; }
  // Open loop: the cell ran ok and kept up with its schedule (within 5%).
  bool target_met() const {
    return status == CellStatus::ok && ops_per_second() >= kTargetMetFraction * target_ops_per_second;
  }
};

}  // namespace sharebench
