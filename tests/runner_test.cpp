// The runner end to end, in forked processes: exact op accounting, zero mismatches, and a
// crashing, throwing or hanging worker failing only its own cell.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <chrono>
#include <cstring>
#include <new>
#include <string>
#include <thread>

#include "common/error.hpp"
#include "common/os.hpp"
#include "harness/runner.hpp"
#include "harness/worker.hpp"
#include "tests/test_cell.hpp"
#include "tests/test_strategies.hpp"
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
      void execute(std::span<Op>) override {
        if (worker != 1 || ++batches < 10) return;  // a few trivial batches: any machine gets there
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

// Every batch sleeps kBatchTime: far longer than the tests' windows.
class SlowBatchStrategy final : public Strategy {
 public:
  static constexpr auto kBatchTime = 600ms;
  Capabilities capabilities() const override { return {.holds_data = false}; }
  void prepare(const Dataset&) override {}
  std::unique_ptr<Client> connect(int) override {
    struct Slow final : Client {
      void execute(std::span<Op>) override { std::this_thread::sleep_for(kBatchTime); }
    };
    return std::make_unique<Slow>();
  }
  void teardown() noexcept override {}
};

std::unique_ptr<Strategy> make_counting(const StrategyOptions&) { return std::make_unique<CountingStrategy>(); }
std::unique_ptr<Strategy> make_slow_batches(const StrategyOptions&) { return std::make_unique<SlowBatchStrategy>(); }
template <Fault kFault>
std::unique_ptr<Strategy> make_faulty(const StrategyOptions&) {
  return std::make_unique<FaultyStrategy<kFault>>();
}

class RunnerTest : public ::testing::Test, protected testing::TestCell {
 protected:
  RunnerTest() { TestCell::use("read", 20'000); }
  void TearDown() override {
    EXPECT_EQ(testing::os_objects_with(settings.strategy_options.object_prefix), std::vector<std::string>{});
  }
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

// mmap-table hands out views of its image; a client that spoils them, each in its own way,
// must be caught on every read it spoils: the view path skips no check.
enum class Spoil { last_byte, version, absent_as_found, present_as_absent, result_unset, unwritten_version };
template <Spoil kSpoil>
std::unique_ptr<Strategy> make_spoiling(const StrategyOptions& options) {
  struct Spoiling final : testing::ForwardingStrategy {
    using ForwardingStrategy::ForwardingStrategy;
    std::unique_ptr<Client> connect(int worker) override {
      struct SpoilingClient final : testing::ForwardingClient {
        using ForwardingClient::ForwardingClient;
        std::string any_value;  // a well-formed value of another key, for a read that should miss
        void execute(std::span<Op> ops) override {
          inner_->execute(ops);
          for (Op& op : ops) {
            if constexpr (kSpoil == Spoil::present_as_absent) {
              op.found = false;
              op.result = {};
              continue;
            }
            if (!op.found) {
              if (kSpoil == Spoil::absent_as_found && !any_value.empty()) {
                op.found = true;
                op.result = any_value;
              }
              continue;
            }
            if (any_value.empty()) any_value.assign(op.result);
            if constexpr (kSpoil == Spoil::result_unset) {
              op.result = {};
            } else if constexpr (kSpoil == Spoil::unwritten_version) {  // well formed, but nobody puts
              op.buffer.resize(op.result.size());
              fill_value(op.buffer.data(), op.buffer.size(), value_key_hash(op.key), put_version(0, 1));
              op.result = op.buffer;
            } else if constexpr (kSpoil == Spoil::last_byte || kSpoil == Spoil::version) {
              op.copy_result(op.result);
              op.buffer[kSpoil == Spoil::version ? 0 : op.buffer.size() - 1] ^= 1;
              op.result = op.buffer;
            }
          }
        }
      };
      return std::make_unique<SpoilingClient>(inner_->connect(worker));
    }
  };
  return std::make_unique<Spoiling>(*find_strategy("mmap-table"), options);
}

// At the value sizes the worker checks with a loop of their own (16, 32, 64), at another
// where it checks an absent answer without a branch (a stand-in, 40), and above it, where it
// branches (1024); in batches (mmap-table's 16), one op at a time, and in an open loop (one op
// per due time), each of which the worker checks with code of its own.
TEST_F(RunnerTest, EverySpoiledViewIsAMismatch) {
  struct Case {
    StrategyInfo info;
    const char* problem;
  };
  const Case cases[] = {
      {{"last-byte", "test", make_spoiling<Spoil::last_byte>}, "not a value written for this key"},
      {{"version", "test", make_spoiling<Spoil::version>}, "not a value written for this key"},
      {{"absent-as-found", "test", make_spoiling<Spoil::absent_as_found>}, "is never written, but get returned a value"},
      {{"present-as-absent", "test", make_spoiling<Spoil::present_as_absent>}, "was preloaded, but get reported it absent"},
      {{"result-unset", "test", make_spoiling<Spoil::result_unset>}, "returned 0 bytes that are not a value"},
      {{"unwritten-version", "test", make_spoiling<Spoil::unwritten_version>}, "returned version 1099511627777, which nobody wrote"},
  };
  struct Load {
    const char* name;
    std::size_t batch;
    double target_ops_per_second;
  };
  // 105 cells: the open loop's about 10,000 gets each (100,000 a second for 100 ms; one that
  // falls behind runs back to back), the closed loops' over 130,000 here, beside three busy
  // loops on 2 CPUs.
  const Load loads[] = {{"batches", 0, 0}, {"one op at a time", 1, 0}, {"open loop", 0, 100'000}};
  settings.duration = 100ms;
  for (const Load& load : loads) {
    settings.batch = load.batch;
    settings.target_ops_per_second = load.target_ops_per_second;
    for (const std::uint32_t value_size : {16u, 32u, 40u, 64u, 1024u}) {
      workload.value_size = value_size;
      dataset = build_dataset(workload);
      schedule = std::make_unique<OpSchedule>(workload, settings.seed);
      for (const Case& c : cases) {
        SCOPED_TRACE(std::string(c.info.name) + " at " + std::to_string(value_size) + " bytes, " + load.name);
        const CellResult r = run(c.info, 1);
        EXPECT_EQ(r.status, CellStatus::failed);
        EXPECT_EQ(r.batch, load.batch == 0 && load.target_ops_per_second == 0 ? 16u : 1u);
        EXPECT_NE(r.reason.find("mismatched reads"), std::string::npos) << r.reason;
        EXPECT_NE(r.check.first_problem.find(c.problem), std::string::npos) << r.check.first_problem;
        // Half the reads hit (the read workload): at least every spoiled one of them is counted.
        EXPECT_GT(r.check.mismatches, r.gets / 4);
        // Gets that found a value are counted as answered, not as planned: the worker takes the
        // plan's count and corrects it where an answer was found wrong.
        const std::string_view name = c.info.name;
        if (name == "present-as-absent") {
          EXPECT_EQ(r.gets_found, 0u);
        } else if (name == "absent-as-found") {  // every get but a few before the first hit
          EXPECT_LE(r.gets_found, r.gets);
          EXPECT_GT(r.gets_found, r.gets * 9 / 10);
        } else {
          EXPECT_GT(r.gets_found, r.gets * 4 / 10);
          EXPECT_LT(r.gets_found, r.gets * 6 / 10);
        }
      }
      const CellResult unspoiled = run(*find_strategy("mmap-table"), 1);
      EXPECT_EQ(unspoiled.status, CellStatus::ok) << unspoiled.reason;
      EXPECT_EQ(unspoiled.check.mismatches, 0u);
      EXPECT_EQ(unspoiled.check.reads_checked, unspoiled.gets);
    }
  }
  settings.batch = 0;
  settings.target_ops_per_second = 0;
  // What the warm-up's wrong answers corrected is not counted in the window.
  settings.warmup = std::chrono::milliseconds(50);
  const CellResult after_warmup = run({"present-as-absent", "test", make_spoiling<Spoil::present_as_absent>}, 1);
  EXPECT_EQ(after_warmup.status, CellStatus::failed);
  EXPECT_GT(after_warmup.gets, 0u);
  EXPECT_EQ(after_warmup.gets_found, 0u);
}

// A batch of 7 does not divide the plan (64 Ki ops here): one batch holds its last ops and its
// first, and each is checked against its own planned op.
TEST_F(RunnerTest, ABatchAcrossThePlansEndIsCheckedOpByOp) {
  settings.batch = 7;
  const CellResult r = run(*find_strategy("mmap-table"), 1);
  ASSERT_EQ(r.status, CellStatus::ok) << r.reason;
  ASSERT_GT(r.ops, schedule->ops().size()) << "the window must go past the plan's end for this test to test it";
  EXPECT_EQ(r.check.mismatches, 0u);
  EXPECT_EQ(r.check.reads_checked, r.gets);
}

TEST_F(RunnerTest, AKilledWorkerFailsOnlyItsCell) {
  const StrategyInfo faulty{"faulty", "test", make_faulty<Fault::kill>};
  const CellResult r = run(faulty, 2);
  EXPECT_EQ(r.status, CellStatus::failed);
  EXPECT_EQ(r.reason, "worker 1 killed by signal 9 (SIGKILL)");
  const CellResult next = run(*find_strategy("null"), 2);
  EXPECT_EQ(next.status, CellStatus::ok) << next.reason;
}

// A batch that begins in the window is counted whole, so the window lasts until it ends: its
// rate is its ops over its own time, not over the (shorter) window.
TEST_F(RunnerTest, ABatchThatOutlastsTheWindowIsCountedOverItsOwnTime) {
  settings.duration = 200ms;
  settings.batch = 10;
  const StrategyInfo slow{"slow", "test", make_slow_batches};
  const CellResult r = run(slow, 1);
  ASSERT_EQ(r.status, CellStatus::ok) << r.reason;
  EXPECT_EQ(r.ops, 10u);
  EXPECT_GE(r.window_seconds, std::chrono::duration<double>(SlowBatchStrategy::kBatchTime).count());
  EXPECT_LE(r.ops_per_second(), 10 / std::chrono::duration<double>(SlowBatchStrategy::kBatchTime).count());
}

// A window in which no batch began (one from the warm-up outlasted it) measured nothing: the
// cell fails saying so, not `ok` at 0 ops/s.
TEST_F(RunnerTest, AWindowInWhichNoBatchBeganFailsTheCell) {
  settings.warmup = 300ms;
  settings.duration = 50ms;
  const StrategyInfo slow{"slow", "test", make_slow_batches};
  const CellResult r = run(slow, 2);
  EXPECT_EQ(r.status, CellStatus::failed);
  EXPECT_EQ(r.ops, 0u);
  EXPECT_EQ(r.reason,
            "no batch began in the 50.00 ms window (one outlasted it, or none was due): raise --duration or lower "
            "--batch");
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
  EXPECT_GE(elapsed, settings.duration + settings.stop_grace) << "killed before its grace period was over";
  EXPECT_LT(elapsed, 20s) << "a hung worker hung the runner";
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1) << "a child was left unreaped";
}

// Open loop hands the client one op per due time, whatever batch it prefers (shm-map: 16),
// unless a batch is forced; closed loop gives it its preferred batch.
TEST_F(RunnerTest, OpenLoopIssuesOneOpPerDueTimeUnlessTheBatchIsForced) {
  const StrategyInfo& shm_map = *find_strategy("shm-map");
  settings.duration = 50ms;
  const CellResult closed = run(shm_map, 1);
  ASSERT_EQ(closed.status, CellStatus::ok) << closed.reason;
  EXPECT_EQ(closed.batch, 16u);
  EXPECT_FALSE(closed.open_loop());

  settings.target_ops_per_second = 2000;
  const CellResult open = run(shm_map, 1);
  ASSERT_EQ(open.status, CellStatus::ok) << open.reason;
  EXPECT_EQ(open.batch, 1u);
  EXPECT_EQ(open.target_ops_per_second, 2000);

  settings.batch = 4;
  const CellResult forced = run(shm_map, 1);
  ASSERT_EQ(forced.status, CellStatus::ok) << forced.reason;
  EXPECT_EQ(forced.batch, 4u);
}

// --latency-sample auto: two clock reads per timed batch stay within 1% of the time of the
// batches they sample, with the fewest batches skipped that allows.
TEST(LatencySampling, AutoKeepsClockReadsUnderOnePercentOfTheWork) {
  struct Case {
    double batch_ns, clock_read_ns;
    std::uint32_t one_in;
  };
  const Case cases[] = {
      {1100, 100, 32},  // mmap-table's batch of 16 where a clock read costs 100 ns: 200 / 11 = 18.2 -> 32
      {1100, 50, 16},   // 9.1 -> 16
      {1100, 25, 8},    // 4.5 -> 8: rounding down to 4 would spend 1.1%
      {1250, 50, 8},    // exactly 8: the two reads are 1% of 8 batches, which is within budget
      {20'000, 100, 1},  // 1 -> 1: a round trip of 20 us is timed every time
      {200'000, 100, 1},
      {30, 25, 256},     // null at batch 1: 166.7 -> 256
      {5, 50, 2048},     // 2000 -> 2048
  };
  for (const Case& c : cases) {
    const std::uint32_t one_in = choose_latency_one_in(c.batch_ns, c.clock_read_ns);
    SCOPED_TRACE("batch " + std::to_string(c.batch_ns) + " ns, clock read " + std::to_string(c.clock_read_ns) + " ns");
    EXPECT_EQ(one_in, c.one_in);
    EXPECT_TRUE(std::has_single_bit(one_in));
    EXPECT_LE(2 * c.clock_read_ns / (one_in * c.batch_ns), kTimingBudget);
    // The smallest such power of two: half of it would overspend.
    if (one_in > 1) {
      EXPECT_GT(2 * c.clock_read_ns / (one_in / 2 * c.batch_ns), kTimingBudget);
    }
  }
  // A batch too short for even one sample in 4096 is still timed, one in 4096.
  EXPECT_EQ(choose_latency_one_in(1, 100), 4096u);
  EXPECT_EQ(choose_latency_one_in(0, 100), 4096u);
}

// Its first 100 batches take 1 ms each (a cold table faulting its pages in), the rest nothing.
class ColdStartStrategy final : public Strategy {
 public:
  Capabilities capabilities() const override { return {.holds_data = false}; }
  void prepare(const Dataset&) override {}
  std::unique_ptr<Client> connect(int) override {
    struct Cold final : Client {
      int batches = 0;
      void execute(std::span<Op>) override {
        if (++batches <= 100) std::this_thread::sleep_for(1ms);
      }
    };
    return std::make_unique<Cold>();
  }
  void teardown() noexcept override {}
};

// The sampling rate follows the batches of the window, not those of a cold start: a rate
// chosen once from the first batches timed every batch of mmap-table and shm-map.
TEST_F(RunnerTest, AutoSamplingRecoversFromSlowFirstBatches) {
  const StrategyInfo cold{"cold", "test", [](const StrategyOptions&) -> std::unique_ptr<Strategy> {
                            return std::make_unique<ColdStartStrategy>();
                          }};
  const CellResult r = run(cold, 1);
  ASSERT_EQ(r.status, CellStatus::ok) << r.reason;
  // An empty batch takes nanoseconds: timing each within 1% would need it to last 200 clock
  // reads, and the median of 64 ignores the few a preemption stretches.
  ASSERT_EQ(r.per_process.size(), 1u);
  EXPECT_GT(r.per_process[0].latency_one_in, 1u);
  EXPECT_LT(r.latency.timed_ops, r.ops);
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

namespace sharebench {
namespace {

// ----- write workloads: the final-state check catches what a strategy loses -----

class WriteWorkloads : public RunnerTest {
 protected:
  void use(const char* name) { TestCell::use(name, 5'000); }
};

// Acknowledges every put but stores only 49 of 50: what a buggy strategy does.
class LossyStrategy final : public Strategy {
 public:
  explicit LossyStrategy(const StrategyOptions& options) : inner_(find_strategy("shm-map")->make(options)) {}
  Capabilities capabilities() const override { return inner_->capabilities(); }
  void prepare(const Dataset& d) override { inner_->prepare(d); }
  std::unique_ptr<Client> connect(int worker) override {
    struct Lossy final : Client {
      std::unique_ptr<Client> inner;
      int puts = 0;
      void execute(std::span<Op> ops) override {
        for (Op& op : ops) {
          if (op.kind != OpKind::put || ++puts % 50 != 0) inner->execute(std::span<Op>(&op, 1));
        }
      }
    };
    auto c = std::make_unique<Lossy>();
    c->inner = inner_->connect(worker);
    return c;
  }
  void teardown() noexcept override { inner_->teardown(); }

 private:
  std::unique_ptr<Strategy> inner_;
};

TEST_F(WriteWorkloads, APutThatIsAcknowledgedButNotStoredIsALostPut) {
  use("write");
  const StrategyInfo lossy{"lossy", "test", [](const StrategyOptions& o) -> std::unique_ptr<Strategy> {
                             return std::make_unique<LossyStrategy>(o);
                           }};
  const CellResult r = run(lossy, 2);
  EXPECT_EQ(r.status, CellStatus::failed);
  EXPECT_GT(r.check.lost_puts, 0u);
  EXPECT_NE(r.reason.find("lost puts"), std::string::npos) << r.reason;
  EXPECT_NE(r.check.first_problem.find("not the last put of any worker"), std::string::npos);
}

// Counters in shared memory updated by a read, a pause and a write: Manager().dict()'s
// `d[k] += 1`. Claims atomic adds only if told to.
template <bool kClaimsAtomic>
class ReadModifyWriteCounters final : public Strategy {
 public:
  Capabilities capabilities() const override {
    return {.holds_data = true, .put = false, .add = true, .atomic_add = kClaimsAtomic};
  }
  void prepare(const Dataset&) override { counters_ = Mapping::shared_anonymous(4096); }
  std::unique_ptr<Client> connect(int) override {
    struct Rmw final : Client {
      std::int64_t* counters;
      void execute(std::span<Op> ops) override {
        for (Op& op : ops) {  // every op of the counter workload is an add
          std::int64_t* c = &counters[std::stoi(std::string(op.key.substr(op.key.find(':') + 1)))];
          const std::int64_t seen = __atomic_load_n(c, __ATOMIC_RELAXED);
          if (op.delta != 0 && ++calls % 8 == 0) std::this_thread::yield();  // widen the race window
          __atomic_store_n(c, seen + op.delta, __ATOMIC_RELAXED);
          op.counter = seen + op.delta;
        }
      }
      int calls = 0;
    };
    auto c = std::make_unique<Rmw>();
    c->counters = reinterpret_cast<std::int64_t*>(counters_.data());
    return c;
  }
  void teardown() noexcept override { counters_.reset(); }

 private:
  Mapping counters_;
};

TEST_F(WriteWorkloads, ReadModifyWriteAddsLoseUpdatesAndTheCheckCountsThem) {
  use("counter");
  const StrategyInfo rmw{"rmw", "test", [](const StrategyOptions&) -> std::unique_ptr<Strategy> {
                           return std::make_unique<ReadModifyWriteCounters<false>>();
                         }};
  const CellResult r = run(rmw, 4);
  EXPECT_EQ(r.status, CellStatus::ok) << "losing adds is the finding, not a failure: " << r.reason;
  EXPECT_GT(r.check.lost_adds, 0);
  EXPECT_EQ(r.check.lost_updates, static_cast<std::uint64_t>(r.check.lost_adds));

  const StrategyInfo liar{"liar", "test", [](const StrategyOptions&) -> std::unique_ptr<Strategy> {
                            return std::make_unique<ReadModifyWriteCounters<true>>();
                          }};
  const CellResult claimed = run(liar, 4);
  EXPECT_EQ(claimed.status, CellStatus::failed) << "a strategy that claims atomic adds must not lose any";
  EXPECT_NE(claimed.reason.find("lost adds"), std::string::npos) << claimed.reason;
}

}  // namespace
}  // namespace sharebench

namespace sharebench {
namespace {

// ----- open loop: a stalled strategy is hidden by closed loop, shown by open loop -----

// Each op busy-waits `op_ns`; with stalls, the first op after every `stall_every` sleeps
// `stall` (a server pausing for a garbage collection, a page fault storm, a lock holder).
template <std::int64_t kOpMicros, std::int64_t kStallMillis, std::int64_t kStallEveryMillis>
class DelayStrategy final : public Strategy {
 public:
  Capabilities capabilities() const override { return {.holds_data = false}; }
  void prepare(const Dataset&) override {}
  std::unique_ptr<Client> connect(int) override {
    struct Delay final : Client {
      std::chrono::steady_clock::time_point next_stall = std::chrono::steady_clock::now();
      void execute(std::span<Op> ops) override {
        for (Op& op : ops) {
          const auto start = std::chrono::steady_clock::now();
          if (kStallMillis > 0 && start >= next_stall) {
            next_stall = start + std::chrono::milliseconds(kStallEveryMillis);
            std::this_thread::sleep_for(std::chrono::milliseconds(kStallMillis));
          }
          while (std::chrono::steady_clock::now() - start < std::chrono::microseconds(kOpMicros)) {
          }
          op.found = false;
        }
      }
    };
    return std::make_unique<Delay>();
  }
  void teardown() noexcept override {}
};

std::uint64_t ns(std::chrono::nanoseconds d) { return static_cast<std::uint64_t>(d.count()); }

// Every assertion here holds on any machine, however fast or loaded: a stall is a sleep, which
// never ends early, so the ops due during it wait at least the rest of it (lower bounds on
// latency); and one worker's ops run one after another, so their service times add up to at
// most the window, which caps how many of them can be long (upper bounds on percentiles).
TEST_F(RunnerTest, OpenLoopShowsAStallThatClosedLoopHides) {
  constexpr std::int64_t kStallMillis = 30;  // every 100 ms, a 20 us op sleeps 30 ms first
  constexpr std::chrono::nanoseconds kStall = std::chrono::milliseconds(kStallMillis);
  const StrategyInfo stalling{"stalling", "test", [](const StrategyOptions&) -> std::unique_ptr<Strategy> {
                                return std::make_unique<DelayStrategy<20, kStallMillis, 100>>();
                              }};
  settings.duration = 1500ms;
  settings.batch = 1;
  settings.target_ops_per_second = 2000;  // 4% of what a 20 us op allows: ~3000 ops due
  const CellResult open = run(stalling, 1);
  ASSERT_EQ(open.status, CellStatus::ok) << open.reason;
  // Of the ~200 ops due per 100 ms, the 40 due in a stall's first 20 ms (20%) end after it,
  // at least 10 ms late, and the 15 due in its first 7.5 ms (7.5%) at least 22.5 ms late.
  EXPECT_GE(open.latency.p90, ns(kStall / 3)) << "corrected p90 must show the stalls";
  EXPECT_GE(open.latency.p99, ns(kStall * 3 / 4)) << "corrected p99 must show the stalls";
  // Service time counts each stall once, in the op that slept (1 op in 200)...
  EXPECT_GE(open.service_time.max, ns(kStall));
  // ... and cannot show it at p90: 10% of ~3000 ops taking 10 ms each would need 3 s of a 1.5 s window.
  EXPECT_LT(open.service_time.p90, ns(kStall / 3)) << "ops " << open.ops;
  EXPECT_GE(open.latency.p90, open.service_time.p90);

  settings.target_ops_per_second = 0;
  settings.latency_one_in = 1;  // time every op, the stalled ones included
  const CellResult closed = run(stalling, 1);
  ASSERT_EQ(closed.status, CellStatus::ok) << closed.reason;
  EXPECT_GE(closed.latency.max, ns(kStall)) << "closed loop timed the stalls";
  // ... but counts each once: 10% of the ops taking 10 ms would need 3 s of the window as soon
  // as there are 1500 ops (one per ms; 20 us ops on a free CPU make ~50,000).
  EXPECT_LT(closed.latency.p90, ns(kStall / 3))
      << "closed loop hides the stall from its percentiles; ops " << closed.ops;
  EXPECT_EQ(closed.latency.p99, closed.service_time.p99);
}

TEST_F(RunnerTest, FarBelowCapacityOpenLoopLatencyEqualsServiceTime) {
  const StrategyInfo steady{"steady", "test", [](const StrategyOptions&) -> std::unique_ptr<Strategy> {
                              return std::make_unique<DelayStrategy<200, 0, 0>>();
                            }};
  settings.duration = 1500ms;
  settings.batch = 1;
  // 0.4% of what 200 us ops allow: an op every 50 ms, ~30 in the window.
  constexpr double kTarget = 20;
  constexpr auto kInterval = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / kTarget));
  settings.target_ops_per_second = kTarget;
  const CellResult r = run(steady, 1);
  ASSERT_EQ(r.status, CellStatus::ok) << r.reason;
  EXPECT_EQ(r.latency.timed_ops, r.ops) << "open loop times every op";
  // Op k is due at start + k intervals, and a worker that is late catches up, so the count is
  // the target's, not the machine's: short only by the worker's wake-up when the window opens.
  EXPECT_NEAR(static_cast<double>(r.ops), kTarget * r.window_seconds, 0.1 * kTarget * r.window_seconds + 1);
  // An op's corrected latency is its service time plus how late it started, never less...
  EXPECT_GE(r.latency.p50, r.service_time.p50) << "corrected latency never undercuts service time";
  EXPECT_GE(r.latency.p90, r.service_time.p90);
  // ... and the median op is on schedule: well under an interval later than its service time,
  // as it would not be if latency were taken from the wrong due time. On an idle machine the
  // difference is a clock read; a loaded one wakes the sleeping worker late, by a few ms when
  // ten processes share two CPUs (that lateness is real, and the report shows it).
  EXPECT_LT(r.latency.p50 - r.service_time.p50, ns(kInterval / 2))
      << "latency p50 " << r.latency.p50 << ", service time p50 " << r.service_time.p50;
}

// Records, in shared memory, the CPUs each worker may run on when it connects.
class AffinityProbe final : public Strategy {
 public:
  struct Seen {
    std::uint32_t connected;  // 0 until the worker has written `cpus`
    cpu_set_t cpus;
  };
  static inline Seen* seen = nullptr;  // one per worker, in memory the test shares
  Capabilities capabilities() const override { return {.holds_data = false}; }
  void prepare(const Dataset&) override {}
  std::unique_ptr<Client> connect(int worker) override {
    Seen& s = seen[worker];
    CPU_ZERO(&s.cpus);
    if (::sched_getaffinity(0, sizeof s.cpus, &s.cpus) != 0) throw Error("sched_getaffinity failed");
    s.connected = 1;
    return find_strategy("null")->make({})->connect(worker);
  }
  void teardown() noexcept override {}
};

std::string cpu_list(const cpu_set_t& set) {
  std::string list;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) list += (list.empty() ? "" : ",") + std::to_string(cpu);
  }
  return "{" + list + "}";
}

TEST_F(RunnerTest, PinningPlacesWorkersAsAsked) {
  constexpr std::size_t kProcs = 4;
  Mapping shared = Mapping::shared_anonymous(kProcs * sizeof(AffinityProbe::Seen));
  AffinityProbe::seen = reinterpret_cast<AffinityProbe::Seen*>(shared.data());
  const StrategyInfo probe{"probe", "test", [](const StrategyOptions&) -> std::unique_ptr<Strategy> {
                             return std::make_unique<AffinityProbe>();
                           }};
  cpu_set_t allowed;  // what this process may use, and so an unpinned worker
  CPU_ZERO(&allowed);
  ASSERT_EQ(::sched_getaffinity(0, sizeof allowed, &allowed), 0);
  const std::vector<int> cpus = allowed_cpus();
  ASSERT_EQ(static_cast<int>(cpus.size()), CPU_COUNT(&allowed));
  auto only = [](int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return set;
  };
  // Each placement in its own cell, with what the last one recorded wiped first: every worker
  // must connect and report where it may run, or the cell fails the test.
  for (PinMode mode : {PinMode::spread, PinMode::compact, PinMode::none}) {
    settings.pin = mode;
    std::memset(shared.data(), 0, shared.size());
    const CellResult r = run(probe, static_cast<int>(kProcs));
    ASSERT_EQ(r.status, CellStatus::ok) << to_string(mode) << ": " << r.reason;
    ASSERT_EQ(r.per_process.size(), kProcs) << to_string(mode);
    for (std::size_t w = 0; w < kProcs; ++w) {
      const AffinityProbe::Seen& seen = AffinityProbe::seen[w];
      ASSERT_EQ(seen.connected, 1u) << to_string(mode) << ": worker " << w << " did not connect";
      // spread: worker k on the k-th allowed CPU (mod their number); compact: all on the first;
      // none: unpinned, so every CPU this process may use.
      const int cpu = mode == PinMode::spread ? cpus[w % cpus.size()] : mode == PinMode::compact ? cpus.front() : -1;
      const cpu_set_t expected = cpu < 0 ? allowed : only(cpu);
      EXPECT_EQ(r.per_process[w].cpu, cpu) << to_string(mode) << ": worker " << w;
      EXPECT_TRUE(CPU_EQUAL(&seen.cpus, &expected))
          << to_string(mode) << ": worker " << w << " may run on " << cpu_list(seen.cpus) << ", expected "
          << cpu_list(expected);
    }
  }
}

// ----- queue-passing through the runner: exact results, and failures that end the cell -----

TEST_F(WriteWorkloads, AKilledWorkerFailsTheCellAndTheOwnerIsReapedWithItsQueues) {
  // Worker 1 kills itself mid-run; the owner serves worker 0 until the runner ends the cell.
  settings.duration = 20s;  // the cell ends when it fails; a loaded machine needs time to reach batch 20
  const StrategyInfo faulty{"worker-killing", "test", [](const StrategyOptions& o) -> std::unique_ptr<Strategy> {
                              return std::make_unique<testing::KillWorkerOne>(*find_strategy("queue-passing"), o, 20);
                            }};
  for (const char* name : {"mixed", "counter"}) {
    use(name);
    const CellResult r = run(faulty, 2);
    EXPECT_EQ(r.status, CellStatus::failed) << name;
    EXPECT_EQ(r.reason, "worker 1 killed by signal 9 (SIGKILL)") << name;
    EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1) << "the owner was left unreaped";
    EXPECT_EQ(testing::os_objects_with(settings.strategy_options.object_prefix + "-"), std::vector<std::string>{});
  }
}

}  // namespace
}  // namespace sharebench
