// What runs inside the forked processes of a cell: the workers' measured loop and the
// checker that reads the final state back. Each returns the process's exit status.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "harness/settings.hpp"
#include "harness/shared_area.hpp"
#include "harness/workload.hpp"
#include "strategies/strategy.hpp"

namespace sharebench {

struct ProcessContext {
  Strategy& strategy;
  Capabilities capabilities;
  const WorkloadSpec& workload;
  const OpSchedule& schedule;
  const RunSettings& settings;
  SharedArea& area;
  int procs;
  int worker;  // 0..procs-1; procs for the checker
  pid_t coordinator;
  int cpu = -1;  // pin to this CPU first, unless -1
};

int worker_process_main(const ProcessContext& context);
int checker_process_main(const ProcessContext& context);

// Automatic latency sampling (--latency-sample auto) keeps clock reads under this fraction of
// the measured time.
inline constexpr double kTimingBudget = 0.01;
// Timing one batch in one_in costs two clock reads per one_in batches. Returns the smallest
// power of two one_in (capped at 4096) with 2 * clock_read_ns <= kTimingBudget * one_in * batch_ns.
std::uint32_t choose_latency_one_in(double batch_ns, double clock_read_ns);

// Copies `text` into a fixed-size report field, truncated and NUL-terminated.
template <std::size_t N>
void copy_message(char (&field)[N], std::string_view text) {
  const std::size_t n = std::min(N - 1, text.size());
  std::copy_n(text.data(), n, field);
  field[n] = '\0';
}

}  // namespace sharebench
