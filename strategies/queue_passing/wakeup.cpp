#include "strategies/queue_passing/wakeup.hpp"

#include <sched.h>

#include "common/cpu.hpp"
#include "common/futex.hpp"

namespace sharebench::queue_passing {

void notify(WakeWord& word) {
  // Orders the change the caller just made (in the queue, under its lock) before the read of
  // `sleeping`; the waiter stores `sleeping` before it tries again. One of the two sees the
  // other's write.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (word.sleeping.load(std::memory_order_relaxed) == 0) return;
  if (word.sleeping.exchange(0, std::memory_order_acq_rel) == 0) return;  // another notifier did it
  word.sequence.fetch_add(1, std::memory_order_release);
  futex_wake_all(&word.sequence);
}

void sleep_on(WakeWord& word, std::uint32_t seen, std::chrono::nanoseconds timeout) {
  futex_wait(&word.sequence, seen, timeout);
}

void pause_briefly(unsigned round) {
  for (int i = 0; i < 4; ++i) cpu_relax();
  if (round % 16 == 0) ::sched_yield();
}

}  // namespace sharebench::queue_passing
