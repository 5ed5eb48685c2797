#include "common/child_process.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "common/error.hpp"

namespace sharebench {

std::string signal_name(int signal_number) {
  const char* abbrev = ::sigabbrev_np(signal_number);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signal_number);
}

namespace {
ForkHooks g_fork_hooks;
}  // namespace

void set_fork_hooks(const ForkHooks& hooks) { g_fork_hooks = hooks; }

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    pid_ = std::exchange(other.pid_, -1);
    status_ = other.status_;
    reaped_ = other.reaped_;
  }
  return *this;
}

pid_t ChildProcess::fork_child() {
  const pid_t parent = ::getpid();
  if (g_fork_hooks.before != nullptr) g_fork_hooks.before();
  const pid_t pid = ::fork();
  if (pid != 0 && g_fork_hooks.after_in_parent != nullptr) {
    const int fork_errno = errno;  // the hook may clobber it
    g_fork_hooks.after_in_parent();
    errno = fork_errno;
  }
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    if (g_fork_hooks.after_in_child != nullptr) g_fork_hooks.after_in_child();
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(3);  // the parent died before prctl took effect
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGTERM, SIG_IGN);
  }
  return pid;
}

void ChildProcess::exit_child(int code) { ::_exit(code); }

bool ChildProcess::poll() {
  if (pid_ <= 0 || reaped_) return reaped_;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = status;
    reaped_ = true;
  } else if (r < 0 && errno == ECHILD) {  // reaped by someone else: gone, status unknown
    status_ = W_EXITCODE(255, 0);
    reaped_ = true;
  }
  return reaped_;
}

bool ChildProcess::exited_cleanly() const {
  return reaped_ && WIFEXITED(status_) && WEXITSTATUS(status_) == 0;
}

std::string ChildProcess::how_ended() const {
  if (!reaped_) return "running";
  if (WIFSIGNALED(status_)) {
    const int sig = WTERMSIG(status_);
    return "killed by signal " + std::to_string(sig) + " (" + signal_name(sig) + ")";
  }
  return "exited with status " + std::to_string(WEXITSTATUS(status_));
}

bool ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!poll()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

void ChildProcess::stop(std::chrono::milliseconds grace) noexcept {
  if (pid_ <= 0 || reaped_) return;
  if (!wait_for(grace)) kill_and_reap();
}

void ChildProcess::kill_and_reap() noexcept {
  if (pid_ <= 0 || poll()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  status_ = r == pid_ ? status : W_EXITCODE(255, 0);
  reaped_ = true;
}

}  // namespace sharebench
