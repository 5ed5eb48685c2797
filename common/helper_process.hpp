// A process a strategy starts beside the workers and owns for a cell: socket-manager's server,
// queue-passing's owner, redis's redis-server, a Python Manager's server. Either a body run in
// a forked child, which says when it is ready, or a program executed, polled until a readiness
// check passes. Stopped by asking it, then a deadline, then SIGKILL; always reaped; and it
// tells how it exited, for the reason of a cell it failed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/child_process.hpp"
#include "common/os.hpp"

namespace sharebench {

class HelperProcess {
 public:
  // A forked helper's side of the process.
  class Child {
   public:
    // Tells the parent that the helper serves (no argument), or why it cannot (one line for
    // the user: "cannot bind ipc://...: Address already in use"). Only the first call counts.
    void ready(std::string_view refusal = {});
    // Readable once the parent stops the helper: a helper polling descriptors watches it.
    int stop_fd() const { return stop_.get(); }

   private:
    friend class HelperProcess;
    UniqueFd ready_, stop_;
  };

  HelperProcess() = default;
  HelperProcess(HelperProcess&&) noexcept = default;
  HelperProcess& operator=(HelperProcess&&) noexcept = default;
  // A helper still running is killed (SIGKILL) and reaped, by its ChildProcess.
  ~HelperProcess() = default;

  // Forks a child that runs body(Child&) and exits with what it returns (1 if it throws; an
  // exception before ready() is its refusal). Returns once the child called ready(). Throws
  // Error("<strategy>: <role> <why>") if it refused, exited or was not ready within
  // `timeout`; it is then killed and reaped.
  template <typename Body>
  static HelperProcess fork(std::string strategy, std::string role, std::chrono::milliseconds timeout, Body body) {
    HelperProcess helper(std::move(strategy), std::move(role));
    Child child = helper.open_channels();
    helper.child_ = ChildProcess::spawn([&helper, &child, &body]() -> int {
      helper.close_channels();  // the parent's ends, in the child
      try {
        return body(child);
      } catch (const std::exception& e) {
        child.ready(e.what());
        throw;
      }
    });
    child = Child();  // the child's ends, in the parent: its death now reads as end of file
    helper.await_ready(timeout);
    return helper;
  }

  // Executes argv[0] (a path) with argv, and returns once is_ready() (run here, every 10 ms)
  // returns true. Throws Error as fork() does if the program exits first or the timeout passes.
  static HelperProcess exec(std::string strategy, std::string role, const std::vector<std::string>& argv,
                            std::chrono::milliseconds timeout, const std::function<bool()>& is_ready);

  // Stops the helper unless it has exited: a byte on a forked helper's stop_fd, then ask()
  // (how a helper that watches no descriptor is told: a stop message, a SHUTDOWN command; if
  // it throws, the deadline still ends the helper); waits up to `grace` for it to exit, then
  // SIGKILLs it; reaps it. Idempotent. A helper stopped is no failure().
  template <typename Ask>
  void stop(std::chrono::milliseconds grace, Ask ask) noexcept {
    if (!begin_stop()) return;
    try {
      ask();
    } catch (...) {
    }
    child_.stop(grace);
  }
  void stop(std::chrono::milliseconds grace) noexcept {
    stop(grace, [] {});
  }

  // Started and not known to have exited.
  bool running() const { return child_ && !child_.exited(); }
  pid_t pid() const { return child_.pid(); }
  // If the helper exited without being stopped, "<role> exited: <how>" ("server exited:
  // killed by signal 9 (SIGKILL)"), else "". Gives the exit up to 200 ms to show: a killed
  // helper's sockets close (and its robust locks are released) before it can be reaped, so its
  // clients may notice first.
  std::string failure();
  // "exited with status 1", "killed by signal 9 (SIGKILL)", "running".
  std::string how_ended() const { return child_.how_ended(); }

 private:
  HelperProcess(std::string strategy, std::string role) : strategy_(std::move(strategy)), role_(std::move(role)) {}
  Child open_channels();
  void close_channels() noexcept;
  void await_ready(std::chrono::milliseconds timeout);
  [[noreturn]] void refuse(const std::string& why);
  bool begin_stop() noexcept;

  std::string strategy_, role_;  // for messages: "socket-manager", "server"
  ChildProcess child_;
  UniqueFd ready_;  // a forked helper's answer, read until ready
  UniqueFd stop_;  // a forked helper's stop_fd, from the other end of a socket pair
  bool stopped_ = false;
};

}  // namespace sharebench
