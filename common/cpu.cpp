#include "common/cpu.hpp"

#include <sched.h>

#include <filesystem>
#include <string>

namespace sharebench {

bool pin_thread(pid_t tid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return ::sched_setaffinity(tid, sizeof set, &set) == 0;
}

bool pin_process(pid_t pid, int cpu) {
  bool all = true;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    all &= pin_thread(std::stoi(task.path().filename().string()), cpu);
  }
  return all && !ec;
}

}  // namespace sharebench
