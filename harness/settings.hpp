// How the cells of a run are run: the window, the seed, batching, sampling, load, pinning and
// the options handed to the strategies. Read by the runner and by the processes it forks.
#pragma once

#include <chrono>
#include <cstdint>

#include "strategies/strategy.hpp"

namespace sharebench {

// CPU affinity of a cell's processes: none; spread (process k on CPU k mod n, helpers first,
// then workers); compact (all on the first CPU: round trips never cross CPUs).
enum class PinMode { none, spread, compact };
const char* to_string(PinMode mode);

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

}  // namespace sharebench
