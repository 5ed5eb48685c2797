// The context block of a report: what machine, build and command produced the figures, and a
// calibration figure measured in the same run so reports from different machines compare as
// ratios.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sharebench {

struct CacheInfo {
  std::string type;
  int level = 0;
  std::int64_t size = 0;
  int num_sharing = 0;  // CPUs sharing it; 0 where the machine does not say
};

// In-process std::unordered_map<std::string, std::string> lookups of present keys per
// second, single thread, measured at the start of the run: several rounds, each the best of
// a few short samples, so the report carries how much the figure itself varies.
struct Calibration {
  std::vector<double> rounds;  // lookups/s of each round, in the order measured
  double lookups_per_second = 0;  // their median
  double min = 0, max = 0;
  double cv = 0;  // stddev / mean of the rounds
};

// One floor a run measured (harness/limits.hpp): with one repetition a cell, shared by every
// cell whose limit_mechanism names it; with several, measured after each repetition that
// stands on it.
struct MeasuredFloor {
  std::string mechanism;  // describe(): "table lookup, batch 16, 1 process"
  std::string workload;  // the workload whose data it read or was sized by; empty for a round trip
  std::size_t value_size = 0, keys = 0;  // that workload's sizes (a sweep has several); 0 for a round trip
  std::size_t reply_bytes = 0;  // round trips: the value a reply carries
  double ops_per_second = 0;  // the best of its measurements, or with several repetitions their median; 0: none succeeded
  double seconds = 0;  // what measuring it took, every measurement together
  int measurements = 1;  // more than 1: a cell beat it and it was measured again, or several repetitions each had it measured
};

struct RunContext {
  std::string date;  // ISO 8601 with offset
  std::string host_name;
  std::string executable;
  std::string command_line;
  int num_cpus = 0;  // online
  double mhz_per_cpu = 0;
  std::string cpu_model;
  std::string kernel;
  std::vector<CacheInfo> caches;
  std::vector<double> load_avg;
  std::string scaling_governor;  // "" where not readable
  std::string build_type;  // CMake build type
  std::string compiler;
  std::string compile_flags;
  std::string sanitizers;  // "" when none
  std::string git_revision;
  bool git_dirty = false;
  std::string python_runtime = "none";  // "hosted", "embedded" or "none" (strategies/python/host.hpp)
  std::string python_executable;
  // Whether the run measured `calibration` and the harness's costs below (not with
  // --no-calibration; the report then has null for them).
  bool calibrated = false;
  Calibration calibration;
  // What the harness itself costs per operation: the `null` strategy's ns per op, one
  // worker, at batch 1 and at batch 16 (measured at the start of the run).
  double harness_overhead_ns_batch_1 = 0;
  double harness_overhead_ns_batch_16 = 0;
  // The harness's whole cost around a get that returns a value, checked: the `null-values`
  // strategy's ns per op (1,000 keys, one worker) less its own execute() timed alone, at batch
  // 1 and 16; and that execute() alone.
  double harness_whole_cost_ns_batch_1 = 0;
  double harness_whole_cost_ns_batch_16 = 0;
  double null_values_execute_ns_batch_1 = 0;
  double null_values_execute_ns_batch_16 = 0;
  bool limits_measured = false;  // false with --no-limits
  bool limits_per_repetition = false;  // each repetition had its floors measured after it (--repetitions > 1)
  double limits_seconds = 0;  // the time measuring the cells' limits took
  std::vector<MeasuredFloor> limit_floors;  // in the order measured
  std::string pinning = "none";
  std::vector<int> cpus;  // the CPUs the run may use
  double target_ops_per_second = 0;  // 0: closed loop
};

// Reads the machine and build facts; `argv` becomes the command line. Cache sizes come from
// sysfs under `sysfs_root`, else from glibc (CPUID); a fact the machine does not expose is
// left empty, never guessed.
RunContext collect_context(int argc, char** argv, const std::string& sysfs_root = "/sys");

// "sharebench 0.1.0 (git 1a2b..., Release build)": what --version prints. Here, not in main.cpp,
// so that a new revision recompiles this file only.
std::string version_text();

// Measures the calibration figure (about 0.25 s): five rounds, each the best of two 25 ms
// samples, after one warm-up sample.
Calibration measure_calibration();

}  // namespace sharebench
