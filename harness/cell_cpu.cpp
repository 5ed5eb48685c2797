#include "harness/cell_cpu.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "common/os.hpp"

namespace sharebench {
namespace {

std::uint64_t ns_of(const timespec& ts) {
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

std::uint64_t ns_of(const timeval& tv) {
  return static_cast<std::uint64_t>(tv.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(tv.tv_usec) * 1000u;
}

std::uint64_t steady_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

// Reads `p`'s CPU clock into cpu_ns; false if it has none (it has ended).
bool read_clock(ProcessCpu& p) {
  clockid_t clock{};
  timespec ts{};
  if (::clock_getcpuclockid(p.pid, &clock) != 0 || ::clock_gettime(clock, &ts) != 0) return false;
  p.cpu_ns = ns_of(ts);
  return true;
}

std::uint64_t ticks_to_ns(unsigned long long ticks) {
  static const long per_second = ::sysconf(_SC_CLK_TCK);
  return static_cast<std::uint64_t>(ticks) * 1'000'000'000u /
         static_cast<std::uint64_t>(per_second);
}

// From /proc/PID/stat: its parent, start time and reaped children's time; nullopt if it is gone.
std::optional<ProcessCpu> read_stat(pid_t pid) {
  char path[32];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  const UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  char text[1024];
  const ssize_t n = ::read(fd.get(), text, sizeof text - 1);
  if (n <= 0) return std::nullopt;
  text[n] = '\0';
  // The command, field 2, is in parentheses and may hold spaces or parentheses itself.
  const char* p = std::strrchr(text, ')');
  if (p == nullptr) return std::nullopt;
  p += 3;  // ") S": the state is one letter
  // Fields 4 on: ppid, ... cutime (16), cstime (17), ... starttime (22).
  unsigned long long field[23] = {};
  for (int i = 4; i <= 22; ++i) {
    char* end = nullptr;
    field[i] = std::strtoull(p, &end, 10);
    if (end == p) return std::nullopt;
    p = end;
  }
  ProcessCpu process;
  process.pid = pid;
  process.parent = static_cast<pid_t>(field[4]);
  process.reaped_ns = ticks_to_ns(field[16] + field[17]);
  process.started = field[22];
  return process;
}

// Every process's parent, from one pass over /proc.
std::vector<ProcessCpu> all_processes() {
  std::vector<ProcessCpu> all;
  const std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), ::closedir);
  if (!proc) return all;
  while (const dirent* entry = ::readdir(proc.get())) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0') continue;
    if (auto process = read_stat(static_cast<pid_t>(pid))) all.push_back(*process);
  }
  return all;
}

}  // namespace

std::vector<ProcessCpu> find_descendants() {
  std::vector<ProcessCpu> all = all_processes();
  std::multimap<pid_t, std::size_t> by_parent;
  for (std::size_t i = 0; i < all.size(); ++i) by_parent.emplace(all[i].parent, i);
  std::vector<ProcessCpu> found;
  std::vector<pid_t> frontier{::getpid()};
  while (!frontier.empty()) {
    const pid_t parent = frontier.back();
    frontier.pop_back();
    const auto [first, last] = by_parent.equal_range(parent);
    for (auto it = first; it != last; ++it) {
      found.push_back(all[it->second]);
      frontier.push_back(found.back().pid);
    }
  }
  return found;
}

CpuSnapshot read_clocks(std::vector<ProcessCpu> processes) {
  const std::uint64_t began = steady_ns();
  CpuSnapshot snapshot;
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  snapshot.own_cpu_ns = ns_of(ts);
  rusage children{};
  ::getrusage(RUSAGE_CHILDREN, &children);
  snapshot.own_reaped_ns = ns_of(children.ru_utime) + ns_of(children.ru_stime);
  for (ProcessCpu& p : processes) {
    if (!read_clock(p)) continue;  // it ended: at the end of the window, it is gone
    snapshot.descendants.push_back(p);
  }
  snapshot.took_ns = steady_ns() - began;
  return snapshot;
}

void add_newcomers(CpuSnapshot& end, const std::vector<ProcessCpu>& found) {
  for (const ProcessCpu& f : found) {
    const auto known =
        std::find_if(end.descendants.begin(), end.descendants.end(),
                     [&](const ProcessCpu& p) { return p.pid == f.pid && p.started == f.started; });
    if (known != end.descendants.end()) {
      known->reaped_ns = f.reaped_ns;
      continue;
    }
    ProcessCpu newcomer = f;
    if (read_clock(newcomer)) end.descendants.push_back(newcomer);
  }
}

void CellCpuMeter::start() {
  const std::uint64_t began = steady_ns();
  std::vector<ProcessCpu> cell = find_descendants();
  scan_ns_ = steady_ns() - began;
  start_ = read_clocks(std::move(cell));
}

CellCpu CellCpuMeter::stop(std::span<const pid_t> workers) {
  CpuSnapshot end = read_clocks(start_.descendants);
  const std::uint64_t began = steady_ns();
  add_newcomers(end, find_descendants());
  CellCpu cpu = cpu_between(start_, end, workers);
  cpu.scan_ns = scan_ns_ + (steady_ns() - began);
  return cpu;
}

CellCpu cpu_between(const CpuSnapshot& start, const CpuSnapshot& end,
                    std::span<const pid_t> workers) {
  auto index_in = [](const std::vector<ProcessCpu>& in, pid_t pid, unsigned long long started) {
    const auto it = std::find_if(in.begin(), in.end(), [&](const ProcessCpu& q) {
      return q.pid == pid && q.started == started;
    });
    return it == in.end() ? std::optional<std::size_t>()
                          : std::optional<std::size_t>(it - in.begin());
  };
  CellCpu cpu;
  std::uint64_t worker_ns = 0, helper_ns = 0;
  // What each possible reaper waited for in the window, whole lives: the processes alive at the
  // end, in their order there, then the coordinator.
  std::vector<std::int64_t> reaped(end.descendants.size() + 1, 0);
  reaped.back() = static_cast<std::int64_t>(end.own_reaped_ns - start.own_reaped_ns);
  for (std::size_t i = 0; i < end.descendants.size(); ++i) {
    const ProcessCpu& p = end.descendants[i];
    const auto before = index_in(start.descendants, p.pid, p.started);
    const ProcessCpu seen = before ? start.descendants[*before] : ProcessCpu{};
    const bool worker = std::find(workers.begin(), workers.end(), p.pid) != workers.end();
    (worker ? worker_ns : helper_ns) += p.cpu_ns - seen.cpu_ns;
    reaped[i] = static_cast<std::int64_t>(p.reaped_ns - seen.reaped_ns);
    ++cpu.processes;
  }
  const pid_t coordinator = ::getpid();
  for (const ProcessCpu& gone : start.descendants) {
    if (index_in(end.descendants, gone.pid, gone.started)) continue;
    ++cpu.processes;
    // Its parent's reaped time holds its whole life: take off what the first snapshot saw.
    std::optional<std::size_t> parent;
    if (gone.parent == coordinator) {
      parent = end.descendants.size();
    } else if (const auto at_start =
                   std::find_if(start.descendants.begin(), start.descendants.end(),
                                [&](const ProcessCpu& q) { return q.pid == gone.parent; });
               at_start != start.descendants.end()) {
      parent = index_in(end.descendants, at_start->pid, at_start->started);
    }
    if (parent) reaped[*parent] -= static_cast<std::int64_t>(gone.cpu_ns + gone.reaped_ns);
  }
  // A rest below zero is a process nobody in the cell waited for (its parent ignores SIGCHLD,
  // or waits after the window): it is not charged for its last part.
  for (const std::int64_t ns : reaped)
    helper_ns += static_cast<std::uint64_t>(std::max<std::int64_t>(0, ns));
  cpu.workers_seconds = static_cast<double>(worker_ns) / 1e9;
  cpu.helpers_seconds = static_cast<double>(helper_ns) / 1e9;
  cpu.coordinator_seconds = static_cast<double>(end.own_cpu_ns - start.own_cpu_ns) / 1e9;
  cpu.snapshot_ns = start.took_ns + end.took_ns;
  return cpu;
}

}  // namespace sharebench
