// Owns a process forked by sharebench (a worker, a checker, a server, a queue owner): it
// dies with its parent, leaves SIGINT/SIGTERM to the parent, and is always reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <utility>

namespace sharebench {

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(ChildProcess&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)), status_(other.status_), reaped_(other.reaped_) {}
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Kills (SIGKILL) and reaps a child still running: nothing outlives its owner.
  ~ChildProcess() { kill_and_reap(); }

  // Forks. The child gets PR_SET_PDEATHSIG(SIGKILL), ignores SIGINT and SIGTERM (the parent
  // handles them and stops its children in order), runs body() and _exit()s with its
  // return value, or 1 if it threw.
  template <typename Body>
  static ChildProcess spawn(Body body) {
    ChildProcess child;
    child.pid_ = fork_child();
    if (child.pid_ == 0) exit_child(run_body(body));
    return child;
  }

  pid_t pid() const { return pid_; }
  explicit operator bool() const { return pid_ > 0; }
  // Reaps the child if it has exited; true once it has. Never blocks.
  bool poll();
  bool exited() const { return reaped_; }
  bool exited_cleanly() const;
  // "exited with status 1", "killed by signal 9 (SIGKILL)"; "running" before it ends.
  std::string how_ended() const;
  // Waits up to `timeout` for the child to exit on its own; true if it did.
  bool wait_for(std::chrono::milliseconds timeout);
  // Waits up to `grace` (after the owner asked the child to stop), then SIGKILLs it; reaps.
  void stop(std::chrono::milliseconds grace) noexcept;
  void kill_and_reap() noexcept;

 private:
  static pid_t fork_child();
  [[noreturn]] static void exit_child(int code);
  template <typename Body>
  static int run_body(Body& body) noexcept {
    try {
      return body();
    } catch (...) {
      return 1;
    }
  }

  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
};

// Code that must run around every fork sharebench makes while some library in this process
// keeps state a plain fork() would corrupt (an embedded interpreter: PyOS_BeforeFork and
// PyOS_AfterFork_*). One set per process, installed by that library; null members are
// skipped. The harness forks only through ChildProcess, so it never names such a library.
struct ForkHooks {
  void (*before)() = nullptr;
  void (*after_in_parent)() = nullptr;  // also when fork() failed
  void (*after_in_child)() = nullptr;
};
void set_fork_hooks(const ForkHooks& hooks);

// "SIGKILL" for 9.
std::string signal_name(int signal_number);

}  // namespace sharebench
