// Faults, for every strategy: a worker killed mid-window fails its cell with the signal, in
// bounded time, and leaves no process and no OS object behind; the next cell runs. And a
// shm-map writer that dies holding a slot cannot hang anyone.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/error.hpp"
#include "common/os.hpp"
#include "harness/runner.hpp"
#include "strategies/shm_map/shm_map.hpp"
#include "strategies/shm_map/shm_table.hpp"
#include "tests/test_strategies.hpp"
#include "tests/test_support.hpp"

namespace sharebench {
namespace {

using namespace std::chrono_literals;

// Processes other than this one in this process group (the test makes itself a group leader,
// so every process it forks, and every process those fork, is in it).
std::vector<pid_t> other_processes_in_my_group() {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (pid != ::getpid() && ::getpgid(pid) == ::getpgid(0)) found.push_back(pid);
  }
  return found;
}

class WorkerKilled : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() { ::setpgid(0, 0); }
};

TEST_P(WorkerKilled, FailsOnlyItsCellWithTheSignalAndLeavesNothing) {
  const StrategyInfo& inner = *find_strategy(GetParam());
  // One the strategy supports: mixed if it takes puts, counter if it only adds, else read.
  const Capabilities caps = inner.make(StrategyOptions{})->capabilities();
  WorkloadSpec workload = *find_workload(caps.put ? "mixed" : caps.add ? "counter" : "read");
  if (workload.keys > 0) workload.keys = 5'000;  // a counter workload has counters only
  const Dataset dataset = build_dataset(workload);
  const OpSchedule schedule(workload, 1);
  RunSettings settings;
  settings.duration = 20s;  // the cell ends when it fails; a loaded machine needs time to reach batch 50
  settings.warmup = 0ms;
  settings.strategy_options.object_prefix = testing::test_object_prefix();
  static const StrategyInfo* current = nullptr;
  current = &inner;
  const StrategyInfo killer{"killer", "test", [](const StrategyOptions& o) -> std::unique_ptr<Strategy> {
                              return std::make_unique<testing::KillWorkerOne>(*current, o);
                            }};
  const auto start = std::chrono::steady_clock::now();
  const CellResult r = run_cell(CellSpec{&killer, &workload, &dataset, &schedule, 2, 0}, settings);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, CellStatus::failed);
  EXPECT_NE(r.reason.find("worker 1 killed by signal 9 (SIGKILL)"), std::string::npos) << r.reason;
  EXPECT_LT(elapsed, 10s) << "the cell ran on after the worker died";
  EXPECT_EQ(other_processes_in_my_group(), std::vector<pid_t>{}) << "a worker or server outlived the cell";
  const std::string& prefix = settings.strategy_options.object_prefix;
  EXPECT_EQ(testing::os_objects_with(prefix), std::vector<std::string>{});
  EXPECT_EQ(testing::tmp_entries_with(prefix), std::vector<std::string>{});

  settings.duration = 200ms;
  const CellResult next = run_cell(CellSpec{&inner, &workload, &dataset, &schedule, 2, 0}, settings);
  EXPECT_NE(next.status, CellStatus::failed) << "the next cell runs normally: " << next.reason;
  EXPECT_EQ(testing::os_objects_with(prefix), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(EveryStrategy, WorkerKilled, ::testing::ValuesIn(testing::strategy_names()),
                         testing::parameter_name);

// shm-map's writers lock one slot at a time; one that dies holding it must not hang the
// others. The chosen defence is a deadline: whoever waits on that slot longer than
// --op-timeout fails with a message that says so (robust mutexes would need a lock word
// per slot that the kernel tracks; a seqlock's slot is a plain counter).
TEST(ShmMapFault, AWriterThatDiesHoldingASlotFailsItsWaitersWithinTheTimeout) {
  StrategyOptions options;
  options.object_prefix = testing::test_object_prefix();
  options.op_timeout = 300ms;
  auto strategy = make_shm_map_strategy(options);
  Dataset d;
  d.add("victim", "value");
  d.add("other", "value");
  strategy->prepare(d);
  const pid_t child = ::fork();
  if (child == 0) {
    // Take the slot of "victim" as put() does (seq odd) and die without releasing it.
    shm_map::Segment segment(boost::interprocess::open_only, (options.object_prefix + "-shm-map").c_str());
    shm_map::ShmTable table = shm_map::ShmTable::open(segment, options.op_timeout);
    auto* slot = const_cast<shm_map::Slot*>(table.home_slot(table.hash("victim")));
    std::string v;
    if (!table.get("victim", v)) ::_exit(2);  // "victim" is in its home slot (a tiny table)
    slot->seq.fetch_add(1);
    ::raise(SIGKILL);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  auto client = strategy->connect(0);
  std::string value;
  EXPECT_TRUE(client->get("other", value)) << "other slots are unaffected";
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto start = std::chrono::steady_clock::now();
    try {
      attempt == 0 ? (void)client->get("victim", value) : client->put("victim", "new");
      FAIL() << "an operation on a slot its holder died with returned";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("a slot stayed locked for more than 300 ms"), std::string::npos) << e.what();
    }
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_GE(waited, options.op_timeout) << "gave up on the slot before the op timeout";
    EXPECT_LT(waited, options.op_timeout + 1s);
  }
  client.reset();
  strategy->teardown();
  EXPECT_EQ(testing::os_objects_with(options.object_prefix), std::vector<std::string>{});
}

}  // namespace
}  // namespace sharebench
