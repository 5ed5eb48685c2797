// Strategy name -> factory, options and hooks. Listed explicitly in registry.cpp (static
// self-registration can be dropped by the linker); the harness names no concrete strategy,
// and no strategy's option, anywhere else.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "strategies/strategy.hpp"

namespace sharebench {

// The raw mechanism under one kind of operation of a strategy. The harness measures each one
// bare, on this machine and for the run's data (harness/limits.hpp), as the ceiling beside a
// cell's figure; which mechanism a strategy stands on is the strategy's to say, how fast the
// mechanism is the harness's to measure, so no strategy grades itself.
enum class Mechanism {
  none,                    // no floor measured: the cell's limit is null
  table_lookup,            // a lookup in a bare open-addressing image of the dataset, prefetched in batches
  unix_socket_round_trip,  // a request and its reply over a Unix stream socket to a forked echo process
  zmq_round_trip,          // a request and its reply over ZeroMQ DEALER -> ROUTER on ipc://
  queue_round_trip,        // a request and its reply through two Boost.Interprocess message queues, polled
  shared_atomic_add,       // a fetch_add on a counter in shared memory
  locked_add,              // += on a counter in shared memory under a process-shared POSIX semaphore
};

struct Floors {
  Mechanism get = Mechanism::none, put = Mechanism::none, add = Mechanism::none;
  std::size_t in_flight = 0;  // round trips a client keeps in flight at most; 0: its whole batch
};

struct StrategyInfo {
  std::string_view name;
  std::string_view semantics;  // one line for `sharebench --list` and its --help group
  std::unique_ptr<Strategy> (*make)(const StrategyOptions&);
  std::span<const OptionSpec> options = {};  // its own flags, declared beside its code
  // `sharebench serve`, for a strategy whose server can run alone for workers elsewhere:
  // checks the options, builds the dataset, serves it until SIGINT/SIGTERM, and returns the
  // exit status. nullptr for a strategy without one.
  int (*serve)(const StrategyOptions& options, const std::function<Dataset()>& build_dataset) = nullptr;
  // The mechanisms under its operations, for these options; nullptr: no limit.
  Floors (*floors)(const StrategyOptions& options) = nullptr;
  // A variant row: the strategy of that name with some of its options fixed by `make` and
  // `floors` (socket-manager[uds]). `--strategy all` runs a strategy's variants in its place,
  // so the default table shows each of them beside the others; its options stay the base's.
  std::string_view variant_of = {};
};

std::span<const StrategyInfo> registered_strategies();
// What `--strategy all` runs: every row but a strategy that has variants (they run instead).
std::vector<const StrategyInfo*> all_strategies();
const StrategyInfo* find_strategy(std::string_view name);  // nullptr if unknown

// One flag of the command line and the strategies that read it.
struct RegisteredOption {
  const OptionSpec* spec;
  std::vector<const StrategyInfo*> owners;  // in registry order; more than one for --pipeline
};

// Every strategy's options, each flag once, in registry order. A spec several strategies
// list is one option with one value; two different specs with one flag throw logic_error.
std::span<const RegisteredOption> registered_options();

}  // namespace sharebench
