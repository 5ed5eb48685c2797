// queue-passing: workers never touch the dictionary; they send messages to the one process that
// owns it (multiprocessing.Queue's answer), through Boost.Interprocess message queues.
//   Shared:  a request queue (every worker -> owner) and a reply queue per worker, 0600 in
//            /dev/shm, fixed-size messages sized from the dataset; nothing else.
//   Writes:  only the owner, a process prepare() forks with the dictionary preloaded; it applies
//            requests one at a time in FIFO order, so adds are atomic and no put is lost.
//   Readers: a get is a request and a reply; a batch is pipelined (all its requests sent, then
//            the replies collected, matched by request id), a put is one-way, never answered.
#pragma once

#include <memory>

#include "strategies/strategy.hpp"

namespace sharebench {

std::unique_ptr<Strategy> make_queue_passing_strategy(const StrategyOptions& options);

}  // namespace sharebench
