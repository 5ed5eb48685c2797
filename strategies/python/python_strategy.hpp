// py-*: a Python module (a "peer") shares the dictionary; C++ runs the measured loop, the
// schedule, the checks and the report exactly as for a C++ strategy.
//   Shared:  whatever the peer shares (a Manager's server, an mmap, a Queue's owner).
//   Writes:  as the peer does them. Readers: get() returns the peer's bytes, copied out.
//   Lookup:  one Python call per op (per batch if the peer has execute()), plus the peer's own
//            cost; a worker holds the GIL throughout. py-null measures the bridge alone.
//   Where:   inside Debian's python3.11 itself, which runs Python faster than its static
//            library linked into sharebench would (host.hpp).
//
// The peer protocol (strategies/python/peers/README.md): capabilities(), prepare(entries,
// counters, prefix) in the coordinator before fork, connect(state, worker) in each worker,
// the client's get / put / add (optionally execute, preferred_batch, close), teardown(state).
//
// Fork safety. The interpreter lives in the coordinator while the runner forks workers:
// interpreter.hpp's fork hooks run PyOS_BeforeFork / PyOS_AfterFork_* around every fork, with
// the GIL held, so no lock the fork copies is held by a thread that the child lacks. Peers
// keep the other half of the bargain: no Python thread runs in the coordinator at a fork (a
// Manager or a Queue owner is started in prepare() as a process; a Queue is only put to by
// workers, so its feeder thread lives in them). In every child the hooks also run
// multiprocessing's after-fork hooks, what a multiprocessing.Process child gets, so a Manager
// proxy or a Queue made in prepare() works in a worker; any other connection a peer opens
// in connect(), never before fork. Tested: tests/python_test.cpp runs 100 cells in a row at
// 1, 2, 4 and 8 procs and finds no hang, no process and no thread left behind.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "strategies/registry.hpp"
#include "strategies/strategy.hpp"

namespace sharebench {

// A built-in peer, strategies/python/peers/<module>.py, registered as `name`. The peer finds
// `peer_options` (its command-line options, already checked, by their JSON names) in its
// module's `options` dict before capabilities() is called.
std::unique_ptr<Strategy> make_python_strategy(std::string_view name, std::string_view module,
                                               const StrategyOptions& options,
                                               const std::map<std::string, std::string>& peer_options = {});

// py-manager's row: --add-mode as the user gave it, else rmw (d[k] += 1 as people write it).
std::unique_ptr<Strategy> make_py_manager_strategy(const StrategyOptions& options);

// `python:PATH`: the user's own peer module. Returns the registry row for that name (rows are
// kept for the life of the process), or nullptr if `name` does not start with "python:" or
// the run names too many user modules.
const StrategyInfo* find_python_user_strategy(std::string_view name);

}  // namespace sharebench
