// The runner end to end, in forked processes: exact op accounting, zero mismatches, and a
// crashing, throwing or hanging worker failing only its own cell.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <cstring>
#include <sys/wait.h>

#include "common/error.hpp"
#include "common/os.hpp"
#include "harness/runner.hpp"
#include "tests/test_support.hpp"

namespace sharebench {
namespace {

using namespace std::chrono_literals;

// Counts every operation its clients execute, per worker, in shared memory the test reads.
class CountingStrategy final : public Strategy {
 public:
  static inline Mapping* counters = nullptr;  // procs slots, created by the test

  Capabilities capabilities() const override { return {.holds_data = false, .put = true, .add = true}; }
  void prepare(const Dataset&) override {}
  std::unique_ptr<Client> connect(int worker) override {
    struct Counter final : Client {
      std::atomic<std::uint64_t>* count;
      bool get(std::string_view, std::string&) override { return false; }
      void put(std::string_view, std::string_view) override {}
      std::int64_t add(std::string_view, std::int64_t d) override { return d; }
      void execute(std::span<Op> ops) override { count->fetch_add(ops.size(), std::memory_order_relaxed); }
    };
    auto c = std::make_unique<Counter>();
    c->count = reinterpret_cast<std::atomic<std::uint64_t>*>(counters->data()) + worker;
    return c;
  }
  void teardown() noexcept override {}
};

// Worker 1 misbehaves after a few batches, in the way the test names; the others run.
enum class Fault { kill, throw_error, hang };
template <Fault kFault>
class FaultyStrategy final : public Strategy {
 public:
  Capabilities capabilities() const override { return {.holds_data = false}; }
  void prepare(const Dataset&) override {}
  std::unique_ptr<Client> connect(int worker) override {
    struct Faulty final : Client {
      int worker = 0;
      int batches = 0;
      bool get(std::string_view, std::string&) override { return false; }
      void put(std::string_view, std::string_view) override {}
      std::int64_t add(std::string_view, std::int64_t) override { return 0; }
      void execute(std::span<Op>) override {
        if (worker != 1 || ++batches < 1000) return;
        if constexpr (kFault == Fault::kill) ::raise(SIGKILL);
        if constexpr (kFault == Fault::throw_error) throw Error("injected failure");
        if constexpr (kFault == Fault::hang) {
          for (;;) std::this_thread::sleep_for(1s);
        }
      }
    };
    auto c = std::make_unique<Faulty>();
    c->worker = worker;
    return c;
  }
  void teardown() noexcept override {}
};

std::unique_ptr<Strategy> make_counting(const StrategyOptions&) { return std::make_unique<CountingStrategy>(); }
template <Fault kFault>
std::unique_ptr<Strategy> make_faulty(const StrategyOptions&) {
  return std::make_unique<FaultyStrategy<kFault>>();
}

class RunnerTest : public ::testing::Test {
 protected:
  RunnerTest() : workload(*find_workload("read")) {
    workload.keys = 20'000;
    dataset = build_dataset(workload);
    schedule = std::make_unique<OpSchedule>(workload, settings.seed);
    settings.duration = 300ms;
    settings.warmup = 0ms;
  }
  CellResult run(const StrategyInfo& info, int procs) {
    return run_cell(CellSpec{&info, &workload, &dataset, schedule.get(), procs, 0}, settings);
  }
  void TearDown() override { EXPECT_EQ(testing::sharebench_os_objects(), std::vector<std::string>{}); }

  WorkloadSpec workload;
  Dataset dataset;
  std::unique_ptr<OpSchedule> schedule;
  RunSettings settings;
};

TEST_F(RunnerTest, OpsExecutedByClientsEqualOpsReported) {
  Mapping counters = Mapping::shared_anonymous(4096);
  CountingStrategy::counters = &counters;
  const StrategyInfo info{"counting", "test", make_counting};
  for (int procs : {1, 2, 4}) {
    std::memset(counters.data(), 0, counters.size());
    const CellResult r = run(info, procs);
    ASSERT_EQ(r.status, CellStatus::ok) << r.reason;
    ASSERT_EQ(r.per_process.size(), static_cast<std::size_t>(procs));
    std::uint64_t sum = 0;
    for (int w = 0; w < procs; ++w) {
      const auto executed = reinterpret_cast<std::atomic<std::uint64_t>*>(counters.data())[w].load();
      EXPECT_EQ(r.per_process[static_cast<std::size_t>(w)].ops, executed) << "worker " << w;
      EXPECT_GT(executed, 0u);
      sum += r.per_process[static_cast<std::size_t>(w)].ops;
    }
    EXPECT_EQ(r.ops, sum);
    EXPECT_EQ(r.gets, r.ops);  // the read workload is all gets
  }
}

TEST_F(RunnerTest, NullAndMmapTableRunCleanAtOneTwoAndFourProcs) {
  for (const char* name : {"null", "mmap-table"}) {
    for (int procs : {1, 2, 4}) {
      const CellResult r = run(*find_strategy(name), procs);
      ASSERT_EQ(r.status, CellStatus::ok) << name << " " << procs << ": " << r.reason;
      EXPECT_GT(r.ops, 0u);
      EXPECT_EQ(r.check.mismatches, 0u);
      EXPECT_EQ(r.check.lost_updates, 0u);
      EXPECT_GT(r.window_seconds, 0.25);
      EXPECT_GT(r.latency.timed_ops, 0u);
      EXPECT_LE(r.latency.p50, r.latency.p99);
      EXPECT_LE(r.latency.p99, r.latency.max);
      if (std::string(name) == "mmap-table") {
        EXPECT_EQ(r.check.reads_checked, r.gets);  // warm-up is 0: every read checked is in the window
        EXPECT_GT(r.shared_bytes, 0u);
      }
      for (const ProcessFigures& p : r.per_process) EXPECT_GT(p.pss_kib, 0);
    }
  }
}

TEST_F(RunnerTest, MmapTableReportsMismatchesWhenValuesAreWrong) {
  // A dataset whose values were built for another value size: every hit is a mismatch.
  WorkloadSpec other = workload;
  other.value_size = 40;
  dataset = build_dataset(other);
  const CellResult r = run(*find_strategy("mmap-table"), 1);
  EXPECT_EQ(r.status, CellStatus::failed);
  EXPECT_GT(r.check.mismatches, 0u);
  EXPECT_NE(r.reason.find("mismatched reads"), std::string::npos) << r.reason;
  EXPECT_NE(r.check.first_problem.find("not a value written for this key"), std::string::npos);
}

TEST_F(RunnerTest, AKilledWorkerFailsOnlyItsCell) {
  const StrategyInfo faulty{"faulty", "test", make_faulty<Fault::kill>};
  const CellResult r = run(faulty, 2);
  EXPECT_EQ(r.status, CellStatus::failed);
  EXPECT_EQ(r.reason, "worker 1 killed by signal 9 (SIGKILL)");
  const CellResult next = run(*find_strategy("null"), 2);
  EXPECT_EQ(next.status, CellStatus::ok) << next.reason;
}

TEST_F(RunnerTest, AWorkerThatThrowsFailsItsCellWithTheMessage) {
  const StrategyInfo faulty{"faulty", "test", make_faulty<Fault::throw_error>};
  const CellResult r = run(faulty, 2);
  EXPECT_EQ(r.status, CellStatus::failed);
  EXPECT_EQ(r.reason, "worker 1: injected failure");
}

TEST_F(RunnerTest, AHungWorkerIsKilledAfterTheGracePeriod) {
  settings.stop_grace = 500ms;
  const StrategyInfo faulty{"faulty", "test", make_faulty<Fault::hang>};
  const auto start = std::chrono::steady_clock::now();
  const CellResult r = run(faulty, 2);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, CellStatus::failed);
  EXPECT_EQ(r.reason, "workers did not stop within 500 ms");
  EXPECT_LT(elapsed, 5s);
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1) << "a child was left unreaped";
}

TEST_F(RunnerTest, ImmutableStrategyOnAWriteWorkloadIsSkippedWithTheReason) {
  workload.put_ratio = 0.5;
  workload.get_ratio = 0.5;
  const CellResult r = run(*find_strategy("mmap-table"), 1);
  EXPECT_EQ(r.status, CellStatus::skipped);
  EXPECT_EQ(r.reason, "strategy does not support put (immutable)");
}

}  // namespace
}  // namespace sharebench
