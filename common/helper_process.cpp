#include "common/helper_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "common/error.hpp"

namespace sharebench {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// A forked helper's first byte: it serves, or it cannot (the reason follows).
constexpr char kReady = '+';
constexpr char kRefused = '-';
// How long a helper that hung up before it was ready may take to show its exit status.
constexpr milliseconds kExitShows{100};
// How long failure() gives the exit of a helper whose clients saw it go.
constexpr milliseconds kFailureShows{200};
// How often exec() asks whether the program is ready.
constexpr milliseconds kReadyPoll{10};

std::string ms_text(milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

}  // namespace

void HelperProcess::Child::ready(std::string_view refusal) {
  if (!ready_) return;
  std::string message(1, refusal.empty() ? kReady : kRefused);
  message.append(refusal);
  for (std::size_t sent = 0; sent < message.size();) {
    const ssize_t n = ::write(ready_.get(), message.data() + sent, message.size() - sent);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the parent is gone; PR_SET_PDEATHSIG ends this process
    sent += static_cast<std::size_t>(n);
  }
  ready_.reset();
}

HelperProcess::Child HelperProcess::open_channels() {
  int ready[2], stop[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) throw_errno(strategy_ + ": a pipe for the " + role_);
  Child child;
  ready_.reset(ready[0]);
  child.ready_.reset(ready[1]);
  // A socket pair, not a pipe: send(MSG_NOSIGNAL) to a helper that died raises no SIGPIPE.
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stop) != 0) {
    throw_errno(strategy_ + ": a socket pair for the " + role_);
  }
  stop_.reset(stop[0]);
  child.stop_.reset(stop[1]);
  return child;
}

void HelperProcess::close_channels() noexcept {
  ready_.reset();
  stop_.reset();
}

void HelperProcess::await_ready(milliseconds timeout) {
  std::string answer;
  const auto deadline = Clock::now() + timeout;
  while (answer.empty() || answer[0] != kReady) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) refuse("not ready within " + ms_text(timeout));
    pollfd p{ready_.get(), POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno != EINTR) throw_errno(strategy_ + ": waiting for the " + role_);
    if (r <= 0) continue;
    char buffer[512];
    const ssize_t n = ::read(ready_.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the helper closed its end: it refused, or it died
    answer.append(buffer, static_cast<std::size_t>(n));
  }
  ready_.reset();
  if (!answer.empty() && answer[0] == kReady) return;
  if (answer.size() > 1) refuse(answer.substr(1));
  child_.wait_for(kExitShows);
  refuse("exited before it was ready (" + child_.how_ended() + ")");
}

HelperProcess HelperProcess::exec(std::string strategy, std::string role, const std::vector<std::string>& argv,
                                  milliseconds timeout, const std::function<bool()>& is_ready) {
  HelperProcess helper(std::move(strategy), std::move(role));
  std::vector<char*> args;  // built before the fork, so that the child allocates nothing
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  helper.child_ = ChildProcess::spawn([&args]() -> int {
    ::execv(args[0], args.data());
    return 127;  // as a shell reports a program it cannot run
  });
  const auto deadline = Clock::now() + timeout;
  while (!is_ready()) {
    if (helper.child_.poll()) helper.refuse("exited before it was ready (" + helper.child_.how_ended() + ")");
    if (Clock::now() >= deadline) helper.refuse("not ready within " + ms_text(timeout));
    std::this_thread::sleep_for(kReadyPoll);
  }
  return helper;
}

void HelperProcess::refuse(const std::string& why) { throw Error(strategy_ + ": " + role_ + " " + why); }

bool HelperProcess::begin_stop() noexcept {
  if (!child_ || child_.poll()) {
    stop_.reset();
    return false;
  }
  stopped_ = true;
  if (stop_) {
    const char byte = 's';
    [[maybe_unused]] const ssize_t n = ::send(stop_.get(), &byte, 1, MSG_NOSIGNAL);
    stop_.reset();
  }
  return true;
}

std::string HelperProcess::failure() {
  if (!child_ || stopped_ || !child_.wait_for(kFailureShows)) return "";
  return role_ + " exited: " + child_.how_ended();
}

}  // namespace sharebench
