// Sleeping on a 32-bit word in memory that several processes map, and waking its sleepers:
// the start barrier of the runner, queue-passing's wake-up words.
#pragma once

#include <chrono>
#include <cstdint>

namespace sharebench {

// Sleeps while *word holds `expected`, until woken or `timeout` passes. Returns at once if it
// no longer holds it; a signal or a spurious wake-up returns too, so the caller looks again.
// Shared futexes (not FUTEX_PRIVATE): the word lives in MAP_SHARED memory.
void futex_wait(const void* word, std::uint32_t expected, std::chrono::nanoseconds timeout);
// Wakes every process asleep on `word`.
void futex_wake_all(const void* word);

}  // namespace sharebench
