// How queue-passing's processes wait: poll the queue for a moment, then sleep on a futex word
// in shared memory, always with a deadline. Nobody ever waits inside Boost.
//
// Boost's blocking and timed send/receive wait on a process-shared pthread condition variable.
// A process killed while waiting on one leaves glibc's condition variable with a waiter that
// never leaves, and the next-but-one notify_one() blocks forever (reproduced on this glibc),
// and the deadline of timed_receive does not cover the queue's mutex either. So queue-passing
// uses only try_send/try_receive (Boost then never notifies, since nobody is blocked in it) and
// wakes waiters itself through a WakeWord: a dead waiter costs a wasted wake-up, never a hang.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace sharebench::queue_passing {

using Clock = std::chrono::steady_clock;

// One event a process can sleep on (a message arrived, room appeared). Lives in MAP_SHARED
// memory, one cache line each.
struct alignas(64) WakeWord {
  std::atomic<std::uint32_t> sequence{0};  // the futex word: bumped by every wake-up
  std::atomic<std::uint32_t> sleeping{0};  // 1 while some process may be asleep on it
};

// Wakes every process asleep on `word`, if any. Costs a fence and a load when nobody sleeps.
// Call it after the change the sleepers wait for (a send, a receive).
void notify(WakeWord& word);

// Sleeps until `word` is notified, `timeout` passes, or `sequence` no longer holds `seen`.
void sleep_on(WakeWord& word, std::uint32_t seen, std::chrono::nanoseconds timeout);

// Calls attempt() until it returns true or `deadline` passes (then false): for up to `spin`
// it polls (pausing between tries and yielding the CPU to whoever wants it), then it sleeps on
// `word` between tries. A waiter announces itself before its last try, so a notify() that
// follows the change it waits for cannot be missed.
template <typename Attempt>
bool wait_until(WakeWord& word, Attempt attempt, std::chrono::microseconds spin, Clock::time_point deadline);

// ----- implementation -----

// A moment of CPU pause; every 16th round also offers the CPU to another process (sched_yield),
// so that a poller does not starve the process it waits for when they share a core.
void pause_briefly(unsigned round);

template <typename Attempt>
bool wait_until(WakeWord& word, Attempt attempt, std::chrono::microseconds spin, Clock::time_point deadline) {
  if (attempt()) return true;
  const Clock::time_point spin_end = std::min(deadline, Clock::now() + spin);
  for (unsigned round = 1;; ++round) {
    pause_briefly(round);
    if (attempt()) return true;
    if (round % 8 == 0 && Clock::now() >= spin_end) break;
  }
  for (;;) {
    const std::uint32_t seen = word.sequence.load(std::memory_order_acquire);
    word.sleeping.store(1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with the one in notify()
    if (attempt()) return true;
    const Clock::time_point now = Clock::now();
    if (now >= deadline) return false;
    sleep_on(word, seen, deadline - now);
  }
}

}  // namespace sharebench::queue_passing
