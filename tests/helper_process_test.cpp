// The helper process every strategy that starts one uses: ready, refused (by a message, an
// exception, an exit or silence), stopped through its stop_fd or an ask, killed after the
// grace period, always reaped, and how it ended as text.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/error.hpp"
#include "common/helper_process.hpp"

namespace sharebench {
namespace {

using namespace std::chrono_literals;
using Child = HelperProcess::Child;

// Fork()s a helper that is expected to fail to start, and returns the message.
template <typename Body>
std::string refusal(Body body, std::chrono::milliseconds timeout = 5000ms) {
  try {
    HelperProcess::fork("test", "helper", timeout, body);
  } catch (const Error& e) {
    return e.what();
  }
  return "started";
}

// Waits on the helper's stop_fd and exits 0 once it becomes readable.
int serve_until_stopped(Child& child) {
  child.ready();
  pollfd p{child.stop_fd(), POLLIN, 0};
  while (::poll(&p, 1, -1) < 0) {
  }
  return 0;
}

class HelperProcessTest : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1) << "a child process was left unreaped"; }
};

TEST_F(HelperProcessTest, AForkedHelperStopsThroughItsStopFdAndIsReaped) {
  HelperProcess helper = HelperProcess::fork("test", "helper", 5000ms, serve_until_stopped);
  EXPECT_TRUE(helper.running());
  EXPECT_GT(helper.pid(), 0);
  EXPECT_EQ(helper.failure(), "") << "a running helper has not failed";
  helper.stop(2000ms);
  EXPECT_FALSE(helper.running());
  EXPECT_EQ(helper.how_ended(), "exited with status 0");
  EXPECT_EQ(helper.failure(), "") << "a helper that was stopped did not fail";
  helper.stop(2000ms);  // idempotent
}

TEST_F(HelperProcessTest, EveryWayOfNotStartingIsNamed) {
  EXPECT_EQ(refusal([](Child& c) {
              c.ready("cannot bind x: Address already in use");
              return 0;
            }),
            "test: helper cannot bind x: Address already in use");
  EXPECT_EQ(refusal([](Child&) -> int { throw std::runtime_error("out of memory"); }), "test: helper out of memory");
  EXPECT_EQ(refusal([](Child&) { return 3; }), "test: helper exited before it was ready (exited with status 3)");
  EXPECT_EQ(refusal(
                [](Child&) {
                  std::this_thread::sleep_for(10s);
                  return 0;
                },
                200ms),
            "test: helper not ready within 200 ms");
}

TEST_F(HelperProcessTest, AHelperThatIgnoresTheAskIsKilledAfterTheGrace) {
  HelperProcess helper = HelperProcess::fork("test", "helper", 5000ms, [](Child& c) {
    c.ready();
    for (;;) std::this_thread::sleep_for(1s);
    return 0;
  });
  bool asked = false;
  const auto start = std::chrono::steady_clock::now();
  helper.stop(300ms, [&] {
    asked = true;
    throw Error("the ask failed");  // the deadline still ends it
  });
  EXPECT_TRUE(asked);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
  EXPECT_EQ(helper.how_ended(), "killed by signal 9 (SIGKILL)");
}

TEST_F(HelperProcessTest, AHelperKilledBehindItsOwnersBackIsAFailure) {
  HelperProcess helper = HelperProcess::fork("test", "server", 5000ms, serve_until_stopped);
  ASSERT_EQ(::kill(helper.pid(), SIGKILL), 0);
  EXPECT_EQ(helper.failure(), "server exited: killed by signal 9 (SIGKILL)");
  EXPECT_FALSE(helper.running());
}

TEST_F(HelperProcessTest, AnExecutedProgramIsReadyWhenItsCheckPassesAndItsExitIsNamed) {
  int checks = 0;
  HelperProcess sleeper =
      HelperProcess::exec("test", "sleep", {"/bin/sleep", "10"}, 5000ms, [&] { return ++checks == 3; });
  EXPECT_EQ(checks, 3);
  EXPECT_TRUE(sleeper.running());
  sleeper.stop(100ms);
  EXPECT_EQ(sleeper.how_ended(), "killed by signal 9 (SIGKILL)");
  try {
    HelperProcess::exec("test", "false", {"/bin/false"}, 5000ms, [] { return false; });
    FAIL() << "a program that exits is not ready";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "test: false exited before it was ready (exited with status 1)");
  }
  try {
    HelperProcess::exec("test", "missing", {"/nonexistent/program"}, 5000ms, [] { return false; });
    FAIL() << "a program that cannot be executed is not ready";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "test: missing exited before it was ready (exited with status 127)");
  }
}

}  // namespace
}  // namespace sharebench
