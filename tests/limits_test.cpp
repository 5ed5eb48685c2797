// Limits (harness/limits.hpp): every cell of a run reports its mechanism's floor and the fraction
// of it reached; --no-limits measures nothing; socket-manager's transports are separate rows of
// `--strategy all`; null-values' reads are checked. Shapes and exact bookkeeping, never timings.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/limits.hpp"
#include "strategies/registry.hpp"
#include "tests/test_support.hpp"

namespace sharebench {
namespace {

using nlohmann::json;
using testing::ScratchDir;

struct RunOutput {
  testing::CommandResult result;
  json report;
};

RunOutput run(std::vector<std::string> args) {
  ScratchDir dir;
  const std::string out = dir.file("run.json");
  for (const char* a : {"--duration", "0.05", "--warmup", "0", "--keys", "1000", "--out"}) args.emplace_back(a);
  args.push_back(out);
  RunOutput r{testing::run_sharebench(args), {}};
  if (r.result.exit_code == 0) r.report = json::parse(testing::read_file(out));
  return r;
}

const json& cell(const json& report, const std::string& name) {
  for (const json& c : report["benchmarks"]) {
    if (c["name"] == name) return c;
  }
  static const json none;
  ADD_FAILURE() << "no cell " << name;
  return none;
}

// The last character of the console's '% limit' column in the row that starts with `row`.
char limit_column(const std::string& out, const std::string& row) {
  const std::size_t header = out.find("strategy ");
  const std::size_t column_end = out.find("% limit", header) + 7 - header;
  const std::size_t at = out.find("\n" + row);
  if (header == std::string::npos || at == std::string::npos) return '?';
  return out[at + 1 + column_end - 1];
}

TEST(Limits, EveryCellWithAFloorReportsItsLimitAndEfficiency) {
  const RunOutput r = run({"--strategy", "mmap-table,socket-manager[zmq],socket-manager[uds],null", "--procs", "1"});
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  EXPECT_EQ(testing::os_objects_with("-" + std::to_string(r.result.pid) + "-"), std::vector<std::string>{});
  EXPECT_EQ(testing::tmp_entries_with("-" + std::to_string(r.result.pid) + "-"), std::vector<std::string>{});
  const json& limits = r.report["context"]["limits"];
  EXPECT_EQ(limits["measured"], true);
  EXPECT_GT(limits["seconds"].get<double>(), 0);
  const std::pair<const char*, const char*> expected[] = {
      {"mmap-table/read/procs:1", "table lookup, batch 16, 1 process"},
      {"socket-manager[zmq]/read/procs:1", "ZeroMQ round trip, 1 in flight, 1 process"},
      {"socket-manager[uds]/read/procs:1", "Unix socket round trip, 1 in flight, 1 process"}};
  for (const auto& [name, mechanism] : expected) {
    const json& c = cell(r.report, name);
    ASSERT_EQ(c["status"], "ok") << c;
    const double limit = c["limit_ops_per_second"].get<double>();
    EXPECT_GT(limit, 0) << name;
    EXPECT_DOUBLE_EQ(c["efficiency"].get<double>(), c["items_per_second"].get<double>() / limit) << name;
    EXPECT_EQ(c["limit_mechanism"], mechanism);
  }
  const json& null = cell(r.report, "null/read/procs:1");  // no floor: null, and '-' on the console
  EXPECT_TRUE(null["limit_ops_per_second"].is_null());
  EXPECT_TRUE(null["efficiency"].is_null());
  EXPECT_TRUE(null["limit_mechanism"].is_null());
  EXPECT_EQ(limit_column(r.result.out, "null "), '-') << r.result.out;
  EXPECT_EQ(limit_column(r.result.out, "mmap-table "), '%') << r.result.out;
}

TEST(Limits, NoLimitsMeasuresNothingAndReportsNulls) {
  const RunOutput r = run({"--strategy", "mmap-table,socket-manager", "--no-limits"});
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  EXPECT_EQ(r.report["context"]["limits"]["measured"], false);
  EXPECT_EQ(r.report["context"]["limits"]["seconds"], 0.0);
  EXPECT_EQ(r.report["context"]["settings"]["limits"], false);
  for (const json& c : r.report["benchmarks"]) {
    EXPECT_TRUE(c["limit_ops_per_second"].is_null()) << c["name"];
    EXPECT_TRUE(c["efficiency"].is_null()) << c["name"];
  }
  EXPECT_EQ(limit_column(r.result.out, "mmap-table "), '-') << r.result.out;
}

// A mix whose every operation has a floor gets one; shm-map's puts have none, so its mixed
// cell has no limit (and nothing is measured for it).
TEST(Limits, AMixWithoutAFloorForOneOfItsOperationsHasNoLimit) {
  const RunOutput r = run({"--strategy", "shm-map", "--workload", "mixed"});
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  EXPECT_TRUE(cell(r.report, "shm-map/mixed/procs:1")["limit_ops_per_second"].is_null());
  EXPECT_EQ(r.report["context"]["limits"]["seconds"], 0.0);
}

TEST(Limits, StrategyAllRunsBothSocketManagerTransportsAsRows) {
  std::vector<std::string> names;
  for (const StrategyInfo* s : all_strategies()) names.emplace_back(s->name);
  for (const char* name : {"socket-manager[zmq]", "socket-manager[uds]"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
  EXPECT_EQ(std::find(names.begin(), names.end(), "socket-manager"), names.end());
  // Named alone, socket-manager stays one row, on the transport given.
  const RunOutput r = run({"--strategy", "socket-manager", "--transport", "uds"});
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  ASSERT_EQ(r.report["benchmarks"].size(), 1u);
  const json& c = r.report["benchmarks"][0];
  EXPECT_EQ(c["name"], "socket-manager/read/procs:1");
  EXPECT_EQ(c["limit_mechanism"], "Unix socket round trip, 1 in flight, 1 process");
}

TEST(Limits, NullValuesReturnsCheckedValuesAndMeasuresTheHarnessWholeCost) {
  const RunOutput r = run({"--strategy", "null-values", "--no-limits"});
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  const json& c = cell(r.report, "null-values/read/procs:1");
  EXPECT_EQ(c["status"], "ok");
  EXPECT_GT(c["check"]["reads_checked"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(c["check"]["reads_checked"], c["ops"]["get"]);
  EXPECT_EQ(c["check"]["mismatches"], 0);
  const json& cost = r.report["context"]["harness_whole_cost_ns"];
  EXPECT_GT(cost["batch_1"].get<double>(), 0);
  EXPECT_GT(cost["batch_16"].get<double>(), 0);
}

// Each mechanism measures to a rate on a tiny dataset, in one and in two processes.
TEST(Limits, EveryMechanismMeasures) {
  WorkloadSpec read = *find_workload("read");
  read.keys = 1000;
  WorkloadSpec counter = *find_workload("counter");
  RunSettings settings;
  settings.strategy_options.object_prefix = testing::test_object_prefix();
  for (const WorkloadSpec* w : {&read, &counter}) {
    const Dataset dataset = build_dataset(*w);
    const OpSchedule schedule(*w, 1);
    const std::vector<Mechanism> mechanisms =
        w == &counter ? std::vector<Mechanism>{Mechanism::shared_atomic_add}
                      : std::vector<Mechanism>{Mechanism::table_lookup, Mechanism::unix_socket_round_trip,
                                               Mechanism::zmq_round_trip, Mechanism::queue_round_trip};
    for (Mechanism m : mechanisms) {
      for (int procs : {1, 2}) {
        const FloorSpec floor{m, 4, procs, 32};
        EXPECT_GT(measure_floor(floor, dataset, schedule, settings), 0) << describe(floor);
      }
    }
  }
  EXPECT_EQ(testing::os_objects_with(settings.strategy_options.object_prefix), std::vector<std::string>{});
  EXPECT_EQ(testing::tmp_entries_with(settings.strategy_options.object_prefix), std::vector<std::string>{});
}

}  // namespace
}  // namespace sharebench
