// queue-passing: workers never touch the dictionary; they send messages to the one process
// that owns it (multiprocessing.Queue's answer), through Boost.Interprocess message queues.
//   Shared:  one request queue (every worker -> the owner) and one reply queue per worker,
//            fixed-size messages in /dev/shm, 0600, named after the run; nothing else.
//   Writes:  only the owner, a process prepare() forks with the dictionary preloaded; it applies
//            requests one at a time in FIFO order, so adds are atomic and no put is lost.
//   Readers: a get is a request and a reply: two queue operations each side and, unless the
//            queue is busy, a wake-up of the other process. A batch is pipelined: all its
//            requests are sent, then the replies collected, matched by request id.
//   Writes cost one send: a put is one-way, never answered.
#pragma once

#include <memory>

#include "strategies/strategy.hpp"

namespace sharebench {

std::unique_ptr<Strategy> make_queue_passing_strategy(const StrategyOptions& options);

}  // namespace sharebench
