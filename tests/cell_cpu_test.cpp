// The CPU a cell is charged: every process of it, however started, and nothing else. The
// arithmetic on two snapshots exactly; then real cells whose strategy starts a helper that
// spins or sleeps, through HelperProcess or a plain fork of its own.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <thread>

#include "common/helper_process.hpp"
#include "harness/cell_cpu.hpp"
#include "harness/runner.hpp"
#include "tests/test_cell.hpp"

namespace sharebench {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kMs = 1'000'000;

ProcessCpu process(pid_t pid, pid_t parent, std::uint64_t cpu_ms, std::uint64_t reaped_ms = 0) {
  return ProcessCpu{pid, parent, /*started=*/static_cast<unsigned long long>(pid) * 7, cpu_ms * kMs,
                    reaped_ms * kMs};
}

TEST(CpuBetween, ChargesWhatEachProcessOfTheCellBurntInTheWindow) {
  const pid_t me = ::getpid();
  CpuSnapshot start, end;
  start.own_cpu_ns = 100 * kMs;
  end.own_cpu_ns = 103 * kMs;
  start.took_ns = 400'000;
  end.took_ns = 500'000;
  // Two workers; a server with a child of its own that it reaps in the window; an owner that
  // exits in the window and the coordinator reaps (its whole life, 70 ms, 50 of them before).
  start.descendants = {process(11, me, 10), process(12, me, 20), process(20, me, 5, 1),
                       process(21, 20, 8), process(30, me, 50)};
  end.own_reaped_ns = 70 * kMs;
  end.descendants = {
      process(11, me, 510), process(12, me, 420), process(20, me, 305, 1 + 40),
      process(40, 20, 7)};  // 21 gone (reaped by 20, lived 40 ms); 40 born in the window
  const pid_t workers[] = {11, 12};
  const CellCpu cpu = cpu_between(start, end, workers);
  EXPECT_DOUBLE_EQ(cpu.workers_seconds, 0.5 + 0.4);
  // server 300 + child 21's last 32 + newborn 7 + owner 30's last 20
  EXPECT_NEAR(cpu.helpers_seconds, 0.300 + 0.032 + 0.007 + 0.020, 1e-12);
  EXPECT_EQ(cpu.processes, 6);
  EXPECT_NEAR(cpu.coordinator_seconds, 0.003, 1e-12);
  EXPECT_EQ(cpu.snapshot_ns, 900'000u);
}

TEST(CpuBetween, APidReusedIsAnotherProcessAndOneReapedByNobodyIsNotCharged) {
  const pid_t me = ::getpid();
  CpuSnapshot start, end;
  start.descendants = {process(50, me, 40), process(51, 50, 9)};
  ProcessCpu reused = process(50, me, 3);
  reused.started += 1;  // pid 50 again, started later: the first 50 and its child are gone
  end.descendants = {reused};
  const CellCpu cpu = cpu_between(start, end, {});
  EXPECT_NEAR(cpu.helpers_seconds, 0.003,
              1e-12);  // the coordinator reaped nothing: no rest is negative
  EXPECT_EQ(cpu.processes, 3);
}

TEST(CellCpuSnapshot, FindsTheDescendantsAndTheirClocks) {
  // A child that spins until told, with a grandchild that spins too.
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(go[1]);
    if (::fork() == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      for (;;) {
      }
    }
    pollfd p{go[0], POLLIN, 0};
    while (::poll(&p, 1, 0) == 0) {
    }
    ::_exit(0);
  }
  ::close(go[0]);
  std::this_thread::sleep_for(100ms);
  const CpuSnapshot s = read_clocks(find_descendants());
  ::close(go[1]);
  int status = 0;
  ::waitpid(child, &status, 0);
  int found = 0;
  for (const ProcessCpu& p : s.descendants) {
    if (p.pid == child || p.parent == child) {
      ++found;
      EXPECT_GT(p.cpu_ns, 0u) << p.pid;
    }
  }
  EXPECT_EQ(found, 2);
  EXPECT_GT(s.took_ns, 0u);
}

// A client that does nothing: the worker's CPU is the harness loop's.
struct IdleClient final : Client {
  void execute(std::span<Op>) override {}
};

// One helper through HelperProcess: it spins (polling its stop descriptor) or sleeps on it.
template <bool kSpins>
class HelperStrategy final : public Strategy {
 public:
  Capabilities capabilities() const override { return {.holds_data = false}; }
  void prepare(const Dataset&) override {
    helper_ = HelperProcess::fork("cpu-test", "helper", 5000ms, [](HelperProcess::Child& child) {
      child.ready();
      pollfd p{child.stop_fd(), POLLIN, 0};
      while (::poll(&p, 1, kSpins ? 0 : -1) == 0) {
      }
      return 0;
    });
  }
  std::unique_ptr<Client> connect(int) override { return std::make_unique<IdleClient>(); }
  void teardown() noexcept override { helper_.stop(1000ms); }
  std::vector<pid_t> helper_processes() const override { return {helper_.pid()}; }

 private:
  HelperProcess helper_;
};

// A process started by a fork of the strategy's own, which it does not report as a helper: a
// child that waits, and a grandchild of it that spins.
class ForkingStrategy final : public Strategy {
 public:
  Capabilities capabilities() const override { return {.holds_data = false}; }
  void prepare(const Dataset&) override {
    child_ = ::fork();
    if (child_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::fork() == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (;;) {
        }
      }
      for (;;) ::pause();
    }
  }
  std::unique_ptr<Client> connect(int) override { return std::make_unique<IdleClient>(); }
  void teardown() noexcept override {
    if (child_ <= 0) return;
    ::kill(child_, SIGKILL);  // its grandchild dies with it
    ::waitpid(child_, nullptr, 0);
    child_ = -1;
  }

 private:
  pid_t child_ = -1;
};

class CellCpuTest : public ::testing::Test, protected testing::TestCell {
 protected:
  CellCpuTest() { TestCell::use("read", 1000); }
};

TEST_F(CellCpuTest, ASpinningHelperIsChargedToItsCell) {
  const StrategyInfo info{"spinning", "test",
                          [](const StrategyOptions&) -> std::unique_ptr<Strategy> {
                            return std::make_unique<HelperStrategy<true>>();
                          }};
  const CellResult r = run(info, 1);
  ASSERT_EQ(r.status, CellStatus::ok) << r.reason;
  EXPECT_EQ(r.cell_cpu.processes, 2);  // the worker and the helper
  EXPECT_GT(r.cell_cpu.workers_seconds, 0);
  EXPECT_GT(r.cell_cpu.helpers_seconds, 0);
  EXPECT_GT(r.cell_cpu_seconds(), r.cpu_seconds);
  EXPECT_DOUBLE_EQ(r.cell_cpu_ns_per_op(), r.cell_cpu_seconds() * 1e9 / static_cast<double>(r.ops));
  EXPECT_DOUBLE_EQ(r.ops_per_cpu_second(), static_cast<double>(r.ops) / r.cell_cpu_seconds());
}

TEST_F(CellCpuTest, ASleepingHelperCostsItsCellAlmostNothing) {
  const StrategyInfo info{"sleeping", "test",
                          [](const StrategyOptions&) -> std::unique_ptr<Strategy> {
                            return std::make_unique<HelperStrategy<false>>();
                          }};
  const CellResult r = run(info, 1);
  ASSERT_EQ(r.status, CellStatus::ok) << r.reason;
  EXPECT_EQ(r.cell_cpu.processes, 2);
  EXPECT_GT(r.cell_cpu.workers_seconds, 0);
  // Asleep on a descriptor all the window long: nowhere near 5% of one CPU.
  EXPECT_LT(r.cell_cpu.helpers_seconds, 0.05 * r.window_seconds);
}

TEST_F(CellCpuTest, AProcessForkedOutsideHelperProcessIsCharged) {
  const StrategyInfo info{"forking", "test",
                          [](const StrategyOptions&) -> std::unique_ptr<Strategy> {
                            return std::make_unique<ForkingStrategy>();
                          }};
  const CellResult r = run(info, 1);
  ASSERT_EQ(r.status, CellStatus::ok) << r.reason;
  EXPECT_EQ(r.cell_cpu.processes, 3);  // the worker, the child, its grandchild
  EXPECT_GT(r.cell_cpu.helpers_seconds, 0);
  EXPECT_GT(r.cell_cpu_seconds(), r.cpu_seconds);
}

}  // namespace
}  // namespace sharebench
