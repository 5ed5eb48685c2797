// Limits (harness/limits.hpp): every cell of a run reports its mechanism's floor and the fraction
// of it reached; --no-limits measures nothing; socket-manager's transports are separate rows of
// `--strategy all`; null-values' reads are checked. Shapes and exact bookkeeping, never timings.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/os.hpp"
#include "harness/limits.hpp"
#include "harness/workload.hpp"
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

RunOutput run(std::vector<std::string> args, testing::Calibrate calibrate = testing::Calibrate::no) {
  ScratchDir dir;
  const std::string out = dir.file("run.json");
  for (const char* a : {"--duration", "0.05", "--warmup", "0", "--keys", "1000", "--out"}) args.emplace_back(a);
  args.push_back(out);
  RunOutput r{testing::run_sharebench(args, calibrate), {}};
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
  EXPECT_EQ(r.report["context"]["limits"]["floors"], json::array());
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
  EXPECT_EQ(r.report["context"]["limits"]["floors"], json::array());
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
  const RunOutput r = run({"--strategy", "null-values", "--no-limits"}, testing::Calibrate::yes);
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  const json& c = cell(r.report, "null-values/read/procs:1");
  EXPECT_EQ(c["status"], "ok");
  EXPECT_GT(c["check"]["reads_checked"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(c["check"]["reads_checked"], c["ops"]["get"]);
  EXPECT_EQ(c["check"]["mismatches"], 0);
  // The harness's part and null-values' own execute(), each measured: a cell's time split in two.
  for (const char* batch : {"batch_1", "batch_16"}) {
    EXPECT_TRUE(r.report["context"]["harness_whole_cost_ns"][batch].is_number()) << batch;
    EXPECT_GT(r.report["context"]["null_values_execute_ns"][batch].get<double>(), 0) << batch;
  }
}

// null-values answers exactly the dataset's keys (str(2i) at index i) with their values, on its
// eight-bytes-at-a-time path (4 to 8 digits) and off it; any other text is absent.
TEST(Limits, NullValuesFindsExactlyTheDatasetsKeys) {
  WorkloadSpec read = *find_workload("read");
  read.keys = 6'000;
  const Dataset dataset = build_dataset(read);
  auto strategy = find_strategy("null-values")->make(StrategyOptions{});
  strategy->prepare(dataset);
  auto client = strategy->connect(0);
  const std::vector<std::pair<std::string, std::int64_t>> cases = {
      {"0", 0},     {"2", 1},      {"998", 499},   {"1000", 500},  {"1998", 999},   {"11998", 5999},
      {"1", -1},    {"1999", -1},  {"12000", -1},  {"02", -1},     {"0002", -1},    {"00000002", -1},
      {"", -1},     {"2a", -1},    {"1:00", -1},   {"-2", -1},     {"10/0", -1},    {"99999998", -1},
      {"100000000", -1}, {"12345678901234567890", -1}};
  std::vector<Op> ops(cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) ops[i].key = cases[i].first;
  client->execute(ops);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("key '" + cases[i].first + "'");
    const std::int64_t index = cases[i].second;
    EXPECT_EQ(ops[i].found, index >= 0);
    if (index >= 0) {
      EXPECT_EQ(ops[i].result, dataset.value(static_cast<std::size_t>(index)));
    }
  }
  client.reset();
  strategy->teardown();
}

// Floors and workers touch what they inherited before measuring (os.hpp): every page of the
// range, the first and a partial last one included, and none outside it.
TEST(Limits, TouchPagesMapsEveryPageOfTheRangeAndNoOther) {
  constexpr std::size_t kPage = 4096, kPages = 12;
  const Mapping memory = Mapping::shared_anonymous(kPages * kPage);
  const auto resident = [&] {
    std::vector<unsigned char> pages(kPages);
    EXPECT_EQ(::mincore(memory.data(), memory.size(), pages.data()), 0);
    std::string map;
    for (unsigned char p : pages) map += (p & 1) ? 'x' : '.';
    return map;
  };
  ASSERT_EQ(resident(), "............");
  // From the middle of page 2 to one byte into page 9.
  touch_pages(memory.data() + 2 * kPage + 100, 6 * kPage + kPage - 100 + 1);
  EXPECT_EQ(resident(), "..xxxxxxxx..");
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
    FloorData data(dataset, schedule);
    const std::vector<Mechanism> mechanisms =
        w == &counter ? std::vector<Mechanism>{Mechanism::shared_atomic_add, Mechanism::locked_add}
                      : std::vector<Mechanism>{Mechanism::table_lookup, Mechanism::unix_socket_round_trip,
                                               Mechanism::zmq_round_trip, Mechanism::queue_round_trip};
    for (Mechanism m : mechanisms) {
      for (int procs : {1, 2}) {
        for (std::size_t depth : {std::size_t{1}, std::size_t{4}}) {
          const FloorSpec floor{m, depth, procs, 32};
          EXPECT_GT(measure_floor(floor, data, settings), 0) << describe(floor);
        }
      }
    }
  }
  EXPECT_EQ(testing::os_objects_with(settings.strategy_options.object_prefix), std::vector<std::string>{});
  EXPECT_EQ(testing::tmp_entries_with(settings.strategy_options.object_prefix), std::vector<std::string>{});
}

std::vector<std::string> floors_measured(const json& report) {
  std::vector<std::string> names;
  for (const json& f : report["context"]["limits"]["floors"]) {
    names.push_back(f["mechanism"].get<std::string>() + (f["workload"].is_null() ? "" : " @" + f["workload"].get<std::string>()));
  }
  return names;
}

// A run of one repetition a cell measures exactly the floors its cells need, once each:
// mmap-table and shm-map reads share one table floor per procs count, and the three round-trip
// rows on a Unix socket share one; every cell's limit is that floor's figure, and efficiency is
// ops/s / limit.
TEST(Limits, ARunMeasuresEachFloorItsCellsNeedOnceAndSharesIt) {
  const RunOutput r = run({"--strategy", "mmap-table,shm-map,socket-manager[uds],redis,null", "--procs", "1,2"});
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  EXPECT_EQ(r.report["context"]["limits"]["per_repetition"], false);
  EXPECT_EQ(floors_measured(r.report),
            (std::vector<std::string>{"table lookup, batch 16, 1 process @read", "table lookup, batch 16, 2 processes @read",
                                      "Unix socket round trip, 1 in flight, 1 process",
                                      "Unix socket round trip, 1 in flight, 2 processes"}));
  double seconds = 0;
  for (const json& f : r.report["context"]["limits"]["floors"]) {
    EXPECT_GT(f["ops_per_second"].get<double>(), 0) << f;
    seconds += f["seconds"].get<double>();
  }
  EXPECT_DOUBLE_EQ(r.report["context"]["limits"]["seconds"].get<double>(), seconds);
  for (const json& c : r.report["benchmarks"]) {
    if (c["run_type"] != "iteration" || c["strategy"] == "null") continue;
    ASSERT_EQ(c["status"], "ok") << c;
    const json* floor = nullptr;
    for (const json& f : r.report["context"]["limits"]["floors"]) {
      if (f["mechanism"] == c["limit_mechanism"]) floor = &f;
    }
    ASSERT_NE(floor, nullptr) << c["name"] << " " << c["limit_mechanism"];
    if ((*floor)["measurements"] == 1) {
      EXPECT_EQ(c["limit_ops_per_second"], (*floor)["ops_per_second"]) << c["name"];
    } else {  // measured again after a cell beat it: an earlier cell keeps the figure it had
      EXPECT_LE(c["limit_ops_per_second"].get<double>(), (*floor)["ops_per_second"].get<double>()) << c["name"];
    }
    EXPECT_EQ(c["efficiency"].get<double>(), c["items_per_second"].get<double>() / c["limit_ops_per_second"].get<double>())
        << c["name"];
  }
}

// With several repetitions, each has its floors measured moments after it: a floor is measured
// at least once per repetition of every cell that stands on it, each repetition's efficiency is
// against its own limit, and the aggregates are those of the repetitions' limits and ratios.
TEST(Limits, EveryRepetitionIsMeasuredAgainstItsOwnFloors) {
  constexpr int kRepetitions = 3;
  const RunOutput r = run({"--strategy", "mmap-table,shm-map,socket-manager[uds]", "--procs", "1", "--repetitions",
                           std::to_string(kRepetitions)});
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  EXPECT_EQ(r.report["context"]["limits"]["per_repetition"], true);
  ASSERT_EQ(floors_measured(r.report), (std::vector<std::string>{"table lookup, batch 16, 1 process @read",
                                                                 "Unix socket round trip, 1 in flight, 1 process"}));
  const json& floors = r.report["context"]["limits"]["floors"];
  EXPECT_GE(floors[0]["measurements"].get<int>(), 2 * kRepetitions) << "mmap-table's and shm-map's repetitions";
  EXPECT_GE(floors[1]["measurements"].get<int>(), kRepetitions);
  for (const std::string strategy : {"mmap-table", "shm-map", "socket-manager[uds]"}) {
    std::vector<double> limits, efficiencies;
    for (const json& c : r.report["benchmarks"]) {
      if (c["run_type"] != "iteration" || c["strategy"] != strategy) continue;
      ASSERT_EQ(c["status"], "ok") << c;
      limits.push_back(c["limit_ops_per_second"].get<double>());
      efficiencies.push_back(c["efficiency"].get<double>());
      EXPECT_DOUBLE_EQ(efficiencies.back(), c["items_per_second"].get<double>() / limits.back()) << c["name"];
    }
    ASSERT_EQ(limits.size(), static_cast<std::size_t>(kRepetitions)) << strategy;
    std::sort(limits.begin(), limits.end());
    std::sort(efficiencies.begin(), efficiencies.end());
    const json& median = cell(r.report, strategy + "/read/procs:1_median");
    EXPECT_DOUBLE_EQ(median["limit_ops_per_second"].get<double>(), limits[1]) << strategy;
    EXPECT_DOUBLE_EQ(median["efficiency"].get<double>(), efficiencies[1]) << strategy;
    EXPECT_TRUE(cell(r.report, strategy + "/read/procs:1_stddev")["efficiency"].is_null());
  }
}

// The Python peers stand on the same OS mechanisms: py-value-array's adds take a POSIX
// semaphore, so its floor is an add under one, not a lock-free fetch_add.
TEST(Limits, PyValueArrayStandsOnAnAddUnderASemaphore) {
  const RunOutput r = run({"--strategy", "py-value-array,shm-map", "--workload", "counter"});
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  EXPECT_EQ(cell(r.report, "py-value-array/counter/procs:1")["limit_mechanism"],
            "add under a shared semaphore, 1 process");
  EXPECT_EQ(cell(r.report, "shm-map/counter/procs:1")["limit_mechanism"], "shared atomic add, 1 process");
  EXPECT_EQ(floors_measured(r.report), (std::vector<std::string>{"add under a shared semaphore, 1 process @counter",
                                                                 "shared atomic add, 1 process @counter"}));
}

// queue-passing's floor is its own queues at its own pipeline depth: its batch, up to a reply
// queue's depth in flight.
TEST(Limits, QueuePassingFloorPipelinesAsTheStrategyDoes) {
  const RunOutput r = run({"--strategy", "queue-passing"});
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  EXPECT_EQ(cell(r.report, "queue-passing/read/procs:1")["limit_mechanism"],
            "message queue round trip, 64 in flight, 1 process");
  const RunOutput one = run({"--strategy", "queue-passing", "--batch", "1"});
  ASSERT_EQ(one.result.exit_code, 0) << one.result.err;
  EXPECT_EQ(cell(one.report, "queue-passing/read/procs:1")["limit_mechanism"],
            "message queue round trip, 1 in flight, 1 process");
}

}  // namespace
}  // namespace sharebench
