// Where a process runs and how it waits on a CPU: pinning (--pin, the benchmarks' placement)
// and the pause of a spin-wait.
#pragma once

#include <sys/types.h>

namespace sharebench {

// Pins thread `tid` (0: the calling thread) to `cpu`; false, errno set, if the kernel refuses.
bool pin_thread(pid_t tid, int cpu);
// Pins every thread of process `pid` (a server may run more than one); false if any refused.
bool pin_process(pid_t pid, int cpu);

// Tells the CPU that this is a spin-wait (x86 PAUSE): the sibling hyperthread gets the core,
// and leaving the loop does not pay for a mispredicted memory order.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace sharebench
