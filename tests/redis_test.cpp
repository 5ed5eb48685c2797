// redis: the private server and a shared one (--redis-url), exact reads and no lost update,
// a server killed mid-run, a machine without redis-server, and nothing left behind.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/child_process.hpp"
#include "common/os.hpp"
#include "harness/runner.hpp"
#include "strategies/redis/connection.hpp"
#include "tests/test_cell.hpp"
#include "tests/test_strategies.hpp"
#include "tests/test_support.hpp"

namespace sharebench {
namespace {

using namespace std::chrono_literals;

class RedisRun : public ::testing::Test, protected testing::TestCell {
 protected:
  RedisRun() {
    settings.duration = 400ms;
    settings.strategy_options.op_timeout = 1000ms;
  }
  void use(const char* name) { TestCell::use(name, 3'000); }
  CellResult run(int procs, const StrategyInfo& info = *find_strategy("redis")) { return TestCell::run(info, procs); }
  void TearDown() override {
    EXPECT_EQ(testing::tmp_entries_with(settings.strategy_options.object_prefix), std::vector<std::string>{})
        << "the private server's directory is left";
  }
};

TEST_F(RedisRun, PipelinedCommandsKeepTheirOrder) {
  settings.strategy_options.given["--pipeline"] = "16";
  use("update");
  const CellResult r = run(2);
  ASSERT_EQ(r.status, CellStatus::ok) << r.reason;
  EXPECT_EQ(r.batch, 16u);
  EXPECT_EQ(r.check.lost_updates, 0u);
}

TEST_F(RedisRun, ASharedServerKeepsItsOwnKeysAndLosesTheRunsKeys) {
  testing::ScratchDir dir;
  const std::string socket = dir.file("redis.sock");
  ChildProcess server = ChildProcess::spawn([&]() -> int {
    ::execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", socket.c_str(), "--save", "",
             "--appendonly", "no", "--dir", dir.path().c_str(), "--logfile", (dir.path() + "/log").c_str(), nullptr);
    return 127;
  });
  redis::Address address = redis::parse_redis_url("unix://" + socket);
  std::optional<redis::Connection> admin;
  for (int i = 0; i < 200 && !admin; ++i) {
    try {
      admin.emplace(address, 1000ms);
    } catch (const Error&) {
      std::this_thread::sleep_for(20ms);
    }
  }
  ASSERT_TRUE(admin) << "the test's redis-server did not start";
  admin->command({"SET", "theirs", "keep me"});

  settings.strategy_options.given["--redis-url"] = "unix://" + socket;
  for (const char* name : {"mixed", "counter"}) {
    use(name);
    const CellResult r = run(2);
    ASSERT_EQ(r.status, CellStatus::ok) << r.reason;
    EXPECT_EQ(r.check.lost_updates, 0u);
  }
  const redis::Reply keys = admin->command({"KEYS", "sb:*"});
  EXPECT_EQ(keys->elements, 0u) << "the run's keys outlived it";
  const redis::Reply theirs = admin->command({"GET", "theirs"});
  ASSERT_EQ(theirs->type, REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(theirs->str, theirs->len), "keep me");
  EXPECT_EQ(admin->command({"DBSIZE"})->integer, 1);
  admin.reset();
  server.kill_and_reap();
}

TEST(RedisMissing, CellsAreSkippedWithTheReason) {
  testing::ScratchDir empty;
  const auto r = testing::run_command({"/usr/bin/env", "PATH=" + empty.path(), SHAREBENCH_BINARY, "--strategy",
                                       "redis", "--workload", "read,counter", "--keys", "100", "--duration", "0.1"});
  EXPECT_EQ(r.exit_code, 0) << "skipped is not failed: " << r.err;
  EXPECT_NE(r.out.find("skipped: redis-server is not installed (Debian package redis-server)"), std::string::npos)
      << r.out;
}

TEST(RedisUrl, ABadUrlExitsTwo) {
  const auto r = testing::run_sharebench({"--strategy", "redis", "--redis-url", "http://x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sharebench: --redis-url: 'http://x' is not a Redis address; accepted: redis://HOST:PORT, "
                   "unix:///PATH\n");
}

}  // namespace
}  // namespace sharebench
