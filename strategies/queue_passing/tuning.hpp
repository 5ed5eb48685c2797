// queue-passing's sizes and waits, in one place so that bench/queue_bench.cpp measures the raw
// queue with exactly what the strategy uses.
#pragma once

#include <chrono>
#include <cstddef>

namespace sharebench::queue_passing {

// Requests the request queue holds: deep enough that puts rarely wait for the owner, capped so
// that a queue of large messages stays within kRequestQueueBytes.
inline constexpr std::size_t kMaxRequestDepth = 1024;
inline constexpr std::size_t kMinRequestDepth = 64;
inline constexpr std::size_t kRequestQueueBytes = 16u << 20;
// Replies one worker's queue holds, which is also how many gets/adds a client keeps in flight:
// the owner then never finds a live worker's reply queue full.
inline constexpr std::size_t kReplyDepth = 64;
// The batch a client asks the runner for: its whole pipeline, so that the replies to one batch
// are collected after a single wait at most. At 1 process on 2 vCPUs it gave 30-45% more
// operations/s than 16, and up to 16% more than 32 (read, mixed, counter).
inline constexpr std::size_t kPreferredBatch = 64;
// Messages the owner takes from the queue (those already waiting, never waiting for more)
// before applying them in order: enough to hash and prefetch their slots and entries so that
// the dictionary's cache misses overlap instead of following each other.
inline constexpr std::size_t kOwnerDrain = 32;
// How long a waiting client polls its reply queue (or a full request queue), and the owner its
// empty request queue, before sleeping on a futex. Waking a sleeping process costs tens of
// microseconds on a VM whose idle vCPU halts; polling for a moment saves that when the answer
// is about to come, and costs at most this much CPU when it is not.
inline constexpr std::chrono::microseconds kClientSpin{30};
inline constexpr std::chrono::microseconds kOwnerSpin{30};
// A reply queue that stays full this long means its worker is gone: the reply is dropped.
inline constexpr std::chrono::milliseconds kReplyDeadline{50};
// How long prepare() waits for the owner to say it is ready (after preloading its dictionary).
inline constexpr std::chrono::milliseconds kOwnerStartTimeout{60'000};
// Teardown: how long the stop message may wait for room, and the owner to exit after it.
inline constexpr std::chrono::milliseconds kStopSendDeadline{200};
inline constexpr std::chrono::milliseconds kStopGrace{2000};

inline std::size_t request_depth_for(std::size_t message_size) {
  const std::size_t fit = kRequestQueueBytes / message_size;
  return fit < kMinRequestDepth ? kMinRequestDepth : fit > kMaxRequestDepth ? kMaxRequestDepth : fit;
}

}  // namespace sharebench::queue_passing
