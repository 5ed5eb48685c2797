// The owner: the one process that holds the dictionary and applies every request to it.
//
// A single-threaded loop over the request queue, in FIFO order (Boost's queue is FIFO among
// messages of equal priority, and every message has priority 0). A put is applied and not
// answered; a get or an add is answered on the sender's reply queue. Because the order is
// FIFO, everything a worker sent before it exited is applied before any request sent later,
// which is what makes the final-state check (and the stop message) see a drained queue.
//
// The owner never blocks on a worker: a reply that does not fit a worker's reply queue within
// a short deadline is dropped and counted (that worker is dead or not reading), later replies
// to it are tried once, and the owner goes on serving the others.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "strategies/common/dictionary.hpp"
#include "strategies/queue_passing/message.hpp"
#include "strategies/queue_passing/queues.hpp"
#include "strategies/queue_passing/wakeup.hpp"

namespace sharebench::queue_passing {

// Shared memory that prepare() maps before any fork, so that the owner, the workers and the
// coordinator all see it (MAP_SHARED, anonymous).
struct SharedState {
  // 1 + the highest worker id that ever connected: teardown() removes reply queues
  // 0..connected-1, whether or not their worker lived to remove its own.
  std::atomic<std::uint32_t> connected{0};
  // Written by the owner only.
  std::atomic<std::uint64_t> malformed{0};        // requests that failed to decode
  std::atomic<std::uint64_t> replies_dropped{0};  // replies no reply queue would take
  char owner_error[200] = {};                     // why the owner exited with status 1

  // Requests the owner has taken so far: a sender facing a full queue waits for it to move
  // (reading a line the owner writes once per batch, not the queue's own, which it would slow).
  alignas(64) std::atomic<std::uint64_t> requests_taken{0};
  WakeWord requests_ready;  // the owner sleeps on it; every send notifies
  WakeWord requests_room;   // senders facing a full request queue sleep on it; the owner notifies
  WakeWord replies_ready[kMaxWorkers];  // worker W sleeps on [W]; the owner notifies
};

struct OwnerSettings {
  std::string object_prefix;  // to open reply queues by name
  std::size_t payload_capacity = 0;
  std::chrono::milliseconds reply_deadline{50};  // how long a full reply queue may hold the owner
  std::chrono::microseconds spin{0};  // how long the owner polls an empty queue before sleeping
};

// The owner process's body: serves until a stop message, returns 0. Throws (the process then
// exits 1, its reason in shared.owner_error) only if the request queue itself breaks.
int run_owner(Queue& requests, Dictionary& dictionary, const OwnerSettings& settings, SharedState& shared);

}  // namespace sharebench::queue_passing
