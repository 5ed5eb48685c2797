#include "strategies/queue_passing/wakeup.hpp"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <ctime>

namespace sharebench::queue_passing {

void notify(WakeWord& word) {
  // Orders the change the caller just made (in the queue, under its lock) before the read of
  // `sleeping`; the waiter stores `sleeping` before it tries again. One of the two sees the
  // other's write.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (word.sleeping.load(std::memory_order_relaxed) == 0) return;
  if (word.sleeping.exchange(0, std::memory_order_acq_rel) == 0) return;  // another notifier did it
  word.sequence.fetch_add(1, std::memory_order_release);
  ::syscall(SYS_futex, &word.sequence, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

void sleep_on(WakeWord& word, std::uint32_t seen, std::chrono::nanoseconds timeout) {
  const auto ns = timeout.count();
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  // Shared (not FUTEX_PRIVATE): the word is in memory other processes map. EAGAIN (the word
  // moved), EINTR and ETIMEDOUT all just send the caller back to its next try.
  ::syscall(SYS_futex, &word.sequence, FUTEX_WAIT, seen, &ts, nullptr, 0);
}

void pause_briefly(unsigned round) {
#if defined(__x86_64__) || defined(__i386__)
  for (int i = 0; i < 4; ++i) __builtin_ia32_pause();
#endif
  if (round % 16 == 0) ::sched_yield();
}

}  // namespace sharebench::queue_passing
