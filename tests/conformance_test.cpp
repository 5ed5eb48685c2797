// The conformance suite: every registered strategy, every workload, 1, 2 and 4 procs, through
// the runner, held to what the strategy claims. A new strategy is covered by registering it.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <string>
#include <tuple>

#include "tests/test_cell.hpp"
#include "tests/test_strategies.hpp"

namespace sharebench {
namespace {

using Param = std::tuple<std::string, std::string>;  // strategy, workload

std::vector<std::string> all_workloads() {
  std::vector<std::string> names;
  for (std::string_view w : workload_names()) names.emplace_back(w);
  return names;
}

std::string param_name(const ::testing::TestParamInfo<Param>& p) {
  std::string name = std::get<0>(p.param) + "_" + std::get<1>(p.param);
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

class Conformance : public ::testing::TestWithParam<Param>, protected testing::TestCell {
 protected:
  Conformance() {
    settings.duration = std::chrono::milliseconds(150);
    TestCell::use(std::get<1>(GetParam()).c_str(), 2'000);
  }
  void TearDown() override {
    const std::string& prefix = settings.strategy_options.object_prefix;
    EXPECT_EQ(testing::os_objects_with(prefix), std::vector<std::string>{}) << "left in /dev/shm or /dev/mqueue";
    EXPECT_EQ(testing::tmp_entries_with(prefix), std::vector<std::string>{}) << "left in /tmp";
  }
};

TEST_P(Conformance, OkOrSkippedWithAReasonAndEveryCheckHolds) {
  const StrategyInfo& info = *find_strategy(std::get<0>(GetParam()));
  const Capabilities caps = info.make(settings.strategy_options)->capabilities();
  const std::string unsupported = unsupported_reason(caps, workload);
  for (int procs : {1, 2, 4}) {
    SCOPED_TRACE(std::string(info.name) + " " + workload.name + " procs " + std::to_string(procs));
    const CellResult r = run(info, procs);
    if (!unsupported.empty()) {
      EXPECT_EQ(r.status, CellStatus::skipped);
      EXPECT_EQ(r.reason, unsupported);
      continue;
    }
    if (r.status == CellStatus::skipped) {  // something the strategy needs is not installed
      EXPECT_FALSE(r.reason.empty());
      GTEST_SKIP() << r.reason;
    }
    ASSERT_EQ(r.status, CellStatus::ok) << r.reason;
    EXPECT_GT(r.ops, 0u);
    EXPECT_EQ(r.ops, r.gets + r.puts + r.adds);
    EXPECT_EQ(r.per_process.size(), static_cast<std::size_t>(procs));
    EXPECT_EQ(r.check.mismatches, 0u) << r.check.first_problem;
    EXPECT_EQ(r.check.lost_puts, 0u) << r.check.first_problem;
    if (caps.holds_data) {
      // The warm-up is 0, so every read of the window is checked, and only those.
      EXPECT_EQ(r.check.reads_checked, r.gets);
      if (workload.needs_put()) {
        EXPECT_GT(r.check.final_keys_checked, 0u);
      }
    }
    if (workload.needs_add() && caps.atomic_add) {
      EXPECT_EQ(r.check.lost_adds, 0) << r.check.first_problem;
      EXPECT_EQ(r.check.lost_updates, 0u) << r.check.first_problem;
    }
    if (workload.add_ratio == 1) {
      EXPECT_EQ(r.adds, r.ops);
    }
    EXPECT_GT(r.window_seconds, 0);
    EXPECT_GT(r.setup_ns, 0u);
    EXPECT_LE(r.latency.p50, r.latency.p99);
    EXPECT_LE(r.latency.p99, r.latency.max);
    EXPECT_GT(r.coordinator_pss_kib, 0);
    for (const ProcessFigures& p : r.per_process) EXPECT_GT(p.pss_kib, 0);
    for (long kib : r.helper_pss_kib) EXPECT_GT(kib, 0) << "a helper process's memory";
    EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1) << "a process of the cell was left unreaped";
  }
}

INSTANTIATE_TEST_SUITE_P(EveryStrategyAndWorkload, Conformance,
                         ::testing::Combine(::testing::ValuesIn(testing::strategy_names()),
                                            ::testing::ValuesIn(all_workloads())),
                         param_name);

// A strategy that starts a helper process (a server, an owner): killing it mid-run fails the
// cell with how it exited, and nothing is left behind.
class HelperKilled : public ::testing::TestWithParam<std::string>, protected testing::TestCell {
 protected:
  HelperKilled() {
    settings.duration = std::chrono::seconds(20);  // far longer than failing takes: the two cannot be confused
    TestCell::use("read", 2'000);
  }
  void TearDown() override {
    const std::string& prefix = settings.strategy_options.object_prefix;
    EXPECT_EQ(testing::os_objects_with(prefix), std::vector<std::string>{});
    EXPECT_EQ(testing::tmp_entries_with(prefix), std::vector<std::string>{});
  }
};

TEST_P(HelperKilled, FailsTheCellWithHowItExited) {
  const StrategyInfo& real = *find_strategy(GetParam());
  {
    auto probe = real.make(settings.strategy_options);
    try {
      probe->prepare(dataset);
    } catch (const Unavailable& e) {
      GTEST_SKIP() << e.what();
    }
    const bool has_helper = !probe->helper_processes().empty();
    probe->teardown();
    if (!has_helper) GTEST_SKIP() << GetParam() << " starts no helper process";
  }
  const StrategyInfo killing = testing::killing_its_helper(real);
  const auto start = std::chrono::steady_clock::now();
  const CellResult r = run(killing, 2);
  ASSERT_EQ(r.status, CellStatus::failed);
  EXPECT_NE(r.reason.find(" exited: killed by signal 9 (SIGKILL)"), std::string::npos) << r.reason;
  // Within the op timeout and the teardown, not at the window's end; 5 s more for a loaded machine.
  EXPECT_LT(std::chrono::steady_clock::now() - start, settings.strategy_options.op_timeout + std::chrono::seconds(5))
      << "detected within the op timeout, not the window";
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1) << "the killed helper was left unreaped";
}

INSTANTIATE_TEST_SUITE_P(EveryStrategy, HelperKilled, ::testing::ValuesIn(testing::strategy_names()),
                         testing::parameter_name);

}  // namespace
}  // namespace sharebench
