// The command line as a user meets it: bad input gets exit 2 and one line naming the
// problem; a run writes a report that Google Benchmark's compare.py reads; Ctrl-C stops
// cleanly with a partial report.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/workload.hpp"
#include "strategies/option.hpp"
#include "strategies/registry.hpp"
#include "tests/test_support.hpp"

namespace sharebench {
namespace {

using testing::CommandResult;
using testing::run_sharebench;
using testing::ScratchDir;

struct BadInput {
  std::string name;  // the test's name
  std::vector<std::string> args;
  std::string message;  // the whole line on stderr
};

void PrintTo(const BadInput& input, std::ostream* os) {
  for (const std::string& a : input.args) *os << a << ' ';
}

// The registered strategies, in their order, as the refusal of an unknown one lists them.
std::string strategy_list() {
  std::string list;
  for (const StrategyInfo& s : registered_strategies()) list += ", " + std::string(s.name);
  return list;
}

// The position of strategy `name` among those `--strategy all` runs, in the registry's order.
std::size_t registry_index(std::string_view name) {
  const auto all = all_strategies();
  const auto it = std::find_if(all.begin(), all.end(), [&](const StrategyInfo* s) { return s->name == name; });
  return static_cast<std::size_t>(it - all.begin());
}

class BadInputTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(BadInputTest, ExitsTwoWithOneLine) {
  const CommandResult r = run_sharebench(GetParam().args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err, "sharebench: " + GetParam().message + "\n");
  EXPECT_EQ(r.out, "");
}

INSTANTIATE_TEST_SUITE_P(
    Cli, BadInputTest,
    ::testing::Values(
        BadInput{"UnknownStrategy", {"--strategy", "bogus"}, "--strategy: unknown strategy 'bogus'; accepted: all" + strategy_list()},
        BadInput{"UnknownWorkload", {"--workload", "bogus"}, "--workload: unknown workload 'bogus'; accepted: all, read, read-zipf, mixed, update, write, counter"},
        BadInput{"ProcsZero", {"--procs", "0"}, "--procs: '0' is out of range; accepted: 1 to 1024"},
        BadInput{"ProcsNegative", {"--procs", "-3"}, "--procs: '-3' is out of range; accepted: 1 to 1024"},
        BadInput{"ProcsNotANumber", {"--procs", "x"}, "--procs: 'x' is not a whole number; accepted: 1 to 1024"},
        BadInput{"ProcsEmptyItem", {"--procs", "1,,2"}, "--procs: empty item in '1,,2'; give a list such as 1,2,4,8"},
        BadInput{"DurationZero", {"--duration", "0"}, "--duration: '0' is out of range; accepted: greater than 0, up to 86400 seconds"},
        BadInput{"DurationNotANumber", {"--duration", "abc"}, "--duration: 'abc' is not a number of seconds"},
        BadInput{"WarmupNegative", {"--warmup", "-1"}, "--warmup: '-1' is out of range; accepted: from 0 to 86400 seconds"},
        BadInput{"ValueSizeTooSmall", {"--value-size", "8"}, "--value-size: '8' is out of range; accepted: 16 to 1048576"},
        BadInput{"HitRatioAboveOne", {"--hit-ratio", "1.5"}, "--hit-ratio: '1.5' is out of range; accepted: from 0 to 1"},
        BadInput{"KeysZero", {"--keys", "0"}, "--keys: '0' is out of range; accepted: 1 to 1000000000"},
        BadInput{"BatchZero", {"--batch", "0"}, "--batch: '0' is out of range; accepted: 1 to 4096"},
        BadInput{"OutInMissingDirectory", {"--out", "/nonexistent-dir/r.json"},
                 "cannot write --out '/nonexistent-dir/r.json': directory '/nonexistent-dir' does not exist"},
        BadInput{"OutIsADirectory", {"--out", "/tmp"}, "cannot write --out '/tmp': it is a directory"},
        BadInput{"UnknownDistribution", {"--dist", "pareto"}, "--dist: unknown distribution 'pareto'; accepted: uniform, zipfian"},
        BadInput{"ReadRatioWithCounter", {"--workload", "counter", "--read-ratio", "0.5"},
                 "--read-ratio does not apply to the counter workload (it only adds)"},
        BadInput{"ReadRatioAboveOne", {"--workload", "mixed", "--read-ratio", "2"},
                 "--read-ratio: '2' is out of range; accepted: from 0 to 1"},
        BadInput{"ShmSizeNotASize", {"--shm-size", "lots"},
                 "--shm-size: 'lots' is not a size; give bytes with an optional K, M or G, e.g. 512M"},
        BadInput{"ShmSizeZero", {"--shm-size", "0"}, "--shm-size: '0' is out of range; accepted: 1 byte to 1T"},
        BadInput{"DurationTooShort", {"--duration", "1e-12"}, "--duration: '1e-12' is shorter than the 1 ms minimum"},
        BadInput{"OpTimeoutZero", {"--op-timeout", "0"},
                 "--op-timeout: '0' is out of range; accepted: greater than 0, up to 86400 seconds"},
        BadInput{"UnknownTransport", {"--transport", "pigeon"}, "--transport: unknown transport 'pigeon'; accepted: zmq, uds"},
        BadInput{"PipelineZero", {"--pipeline", "0"}, "--pipeline: '0' is out of range; accepted: 1 to 1024"},
        BadInput{"UnknownAddMode", {"--add-mode", "maybe"}, "--add-mode: unknown mode 'maybe'; accepted: atomic, rmw"},
        BadInput{"EndpointNotAnEndpoint", {"--strategy", "socket-manager", "--endpoint", "http://x"},
                 "--endpoint: 'http://x' is not an endpoint; accepted: ipc://PATH, tcp://HOST:PORT"},
        BadInput{"EndpointPortOutOfRange", {"--strategy", "socket-manager", "--endpoint", "tcp://127.0.0.1:70000"},
                 "--endpoint: 'tcp://127.0.0.1:70000' is not an endpoint; accepted: ipc://PATH, tcp://HOST:PORT"},
        BadInput{"EndpointAndConnect",
                 {"--strategy", "socket-manager", "--endpoint", "tcp://127.0.0.1:5555", "--connect", "tcp://127.0.0.1:5556"},
                 "--endpoint and --connect contradict each other: --endpoint starts a server there, --connect uses "
                 "one that runs already"},
        BadInput{"ServeWithoutEndpoint", {"serve"}, "serve: --endpoint is required (ipc://PATH or tcp://HOST:PORT)"},
        BadInput{"ServeTwoWorkloads", {"serve", "--endpoint", "tcp://127.0.0.1:5555", "--workload", "read,mixed"},
                 "serve: give one --workload, not read,mixed"},
        BadInput{"UnknownPin", {"--pin", "everywhere"}, "--pin: unknown placement 'everywhere'; accepted: none, spread, compact"},
        BadInput{"TargetZero", {"--target", "0"}, "--target: '0' is out of range; accepted: greater than 0, up to 1e+10 ops/s"},
        BadInput{"RepetitionsZero", {"--repetitions", "0"}, "--repetitions: '0' is out of range; accepted: 1 to 1000"},
        BadInput{"WorkloadFileMissing", {"--workload-file", "/nonexistent/w.json"},
                 "workload file '/nonexistent/w.json': cannot be read"},
        BadInput{"ShmSizeTooSmallForTheDataset", {"--strategy", "shm-map", "--keys", "100000", "--shm-size", "1M"},
                 "--shm-size 1048576 bytes is too small for the read workload: its 100000 keys need about 18972011 "
                 "bytes"},
        BadInput{"UnknownOption", {"--frobnicate"}, "The following argument was not expected: --frobnicate; see sharebench --help"},
        // A subcommand's mistake points at its own --help.
        BadInput{"CompareOneReport", {"compare", "A.json"}, "NEW is required; see sharebench compare --help"},
        BadInput{"ServeRunOnlyOption", {"serve", "--procs=2"},
                 "The following argument was not expected: --procs=2; see sharebench serve --help"},
        BadInput{"CleanUnknownOption", {"clean", "--all"}, "The following argument was not expected: --all; see sharebench clean --help"},
        // Whole numbers may be written 1e5 when exactly whole (as --help writes 1..1e9); not fractions.
        BadInput{"KeysFraction", {"--keys", "1.5"}, "--keys: '1.5' is not a whole number; accepted: 1 to 1000000000"},
        BadInput{"KeysBelowOne", {"--keys", "1e-3"}, "--keys: '1e-3' is not a whole number; accepted: 1 to 1000000000"},
        BadInput{"KeysScientificTooMany", {"--keys", "2e9"}, "--keys: '2e9' is out of range; accepted: 1 to 1000000000"},
        BadInput{"ProcsScientificFraction", {"--procs", "1,2.5e0"}, "--procs: '2.5e0' is not a whole number; accepted: 1 to 1024"},
        // Sweeps: lists of sizes with suffixes; the bad item is named.
        BadInput{"ValueSizeZero", {"--value-size", "0"}, "--value-size: '0' is out of range; accepted: 16 to 1048576"},
        BadInput{"ValueSizeAboveOneMebibyte", {"--value-size", "32,2M"},
                 "--value-size: '2M' is out of range; accepted: 16 to 1048576"},
        BadInput{"ValueSizeEmptyItem", {"--value-size", "32,,64"},
                 "--value-size: empty item in '32,,64'; give a list such as 32,1K,64K"},
        BadInput{"ValueSizeUnknownSuffix", {"--value-size", "32,32Q"},
                 "--value-size: '32Q' has an unknown suffix 'Q'; accepted: K (1024), M (1048576)"},
        BadInput{"ValueSizeFraction", {"--value-size", "1.5K"},
                 "--value-size: '1.5K' is not a whole number; accepted: 16 to 1048576"},
        BadInput{"ValueSizeRepeated", {"--value-size", "64K,32,65536"}, "--value-size: '65536' repeats '64K'"},
        BadInput{"KeysFractionInAList", {"--keys", "1K,1.5"}, "--keys: '1.5' is not a whole number; accepted: 1 to 1000000000"},
        BadInput{"KeysUnknownSuffix", {"--keys", "10T"},
                 "--keys: '10T' has an unknown suffix 'T'; accepted: K (1000), M (1000000), G (1000000000)"},
        BadInput{"KeysAboveOneBillion", {"--keys", "2G"}, "--keys: '2G' is out of range; accepted: 1 to 1000000000"},
        BadInput{"KeysRepeated", {"--keys", "1K,1000"}, "--keys: '1000' repeats '1K'"},
        BadInput{"ServeValueSizeList", {"serve", "--endpoint", "tcp://127.0.0.1:5555", "--value-size", "32,64"},
                 "serve: give one --value-size, not a list"},
        // In a sweep too, what a strategy refuses whatever the sizes is bad input, not a skip.
        BadInput{"RedisUrlBadInASweep", {"--strategy", "redis", "--redis-url", "bogus", "--value-size", "32,64"},
                 "--redis-url: 'bogus' is not a Redis address; accepted: redis://HOST:PORT, unix:///PATH"},
        BadInput{"QueuePassingValueOverItsMessageAlone",
                 {"--strategy", "queue-passing", "--value-size", "64K", "--keys", "100"},
                 "queue-passing: the dataset needs messages of 65539 payload bytes (longest key 3 + longest value "
                 "65536), over the 65536 a queue message may carry; use a smaller --value-size"},
        BadInput{"TableFileInMissingDirectory", {"--strategy", "mmap-table", "--table-file", "/nonexistent-dir/t.tbl"},
                 "table file '/nonexistent-dir/t.tbl' does not exist and cannot be created in "
                 "'/nonexistent-dir': No such file or directory"}),
    [](const ::testing::TestParamInfo<BadInput>& param) { return param.param.name; });

TEST(Cli, ADatasetLargerThanMemoryIsRefusedBeforeAnythingIsBuilt) {
  const CommandResult r = run_sharebench({"--value-size", "1048576"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("sharebench: --keys 1000000 with --value-size 1048576 needs about 2441.5 GiB for the read "
                        "workload; this machine has ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(" GiB: use fewer keys or smaller values\n"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

// The options' forms, and each size as a cell name writes it.
TEST(Cli, SizesAreNamedWithTheSuffixesTheOptionsTake) {
  EXPECT_EQ(parse_value_sizes("32, 1K,64k,1M,2e3"), (std::vector<std::uint32_t>{32, 1024, 65536, 1048576, 2000}));
  EXPECT_EQ(parse_key_counts("1K,100K,10M,1e4,7,1G"),
            (std::vector<std::uint64_t>{1000, 100'000, 10'000'000, 10'000, 7, 1'000'000'000}));
  EXPECT_EQ(value_size_text(65536), "64K");
  EXPECT_EQ(value_size_text(1048576), "1M");
  EXPECT_EQ(value_size_text(1000), "1000");
  EXPECT_EQ(value_size_text(1536), "1536");
  EXPECT_EQ(key_count_text(1'000'000), "1M");
  EXPECT_EQ(key_count_text(1500), "1500");
  EXPECT_EQ(key_count_text(1024), "1024");
  EXPECT_EQ(key_count_text(1'000'000'000), "1G");
}

// workload x value size x keys x strategy x procs, in that nesting; names carry only the
// sizes that vary; every entry carries both sizes.
TEST(Cli, ASweepRunsTheCrossProductAndNamesWhatVaries) {
  ScratchDir dir;
  const std::string out = dir.file("sweep.json");
  const CommandResult r =
      run_sharebench({"--strategy", "null", "--procs", "1,2", "--value-size", "32,1K", "--keys", "1000,2K",
                      "--duration", "0.05", "--warmup", "0", "--no-limits", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = nlohmann::json::parse(testing::read_file(out));
  const std::vector<std::string> names = {
      "null/read/procs:1/value:32/keys:1K", "null/read/procs:2/value:32/keys:1K", "null/read/procs:1/value:32/keys:2K",
      "null/read/procs:2/value:32/keys:2K", "null/read/procs:1/value:1K/keys:1K", "null/read/procs:2/value:1K/keys:1K",
      "null/read/procs:1/value:1K/keys:2K", "null/read/procs:2/value:1K/keys:2K"};
  ASSERT_EQ(report["benchmarks"].size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto& b = report["benchmarks"][i];
    EXPECT_EQ(b["name"], names[i]);
    EXPECT_EQ(b["value_size"], i < 4 ? 32 : 1024);
    EXPECT_EQ(b["keys"], i % 4 < 2 ? 1000 : 2000);
    EXPECT_EQ(b["family_index"], 0);
    EXPECT_EQ(b["per_family_instance_index"], i);
  }
  ASSERT_EQ(report["context"]["settings"]["workloads"].size(), 4u) << "one per workload and size";
  EXPECT_EQ(report["context"]["settings"]["workloads"][3]["value_size"], 1024);
  // The table shows what varies, and MB/s over value sizes.
  EXPECT_NE(r.out.find("strategy            workload     procs  value   keys batch       ops/s     MB/s  % limit"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("null                read             2     1K     2K"), std::string::npos) << r.out;

  // One list varies: only its size is named.
  const CommandResult keys = run_sharebench({"--strategy", "null", "--keys", "1K,1500", "--value-size", "64K",
                                             "--duration", "0.05", "--warmup", "0", "--no-limits", "--out", out});
  ASSERT_EQ(keys.exit_code, 0) << keys.err;
  const auto by_keys = nlohmann::json::parse(testing::read_file(out));
  ASSERT_EQ(by_keys["benchmarks"].size(), 2u);
  EXPECT_EQ(by_keys["benchmarks"][0]["name"], "null/read/procs:1/keys:1K");
  EXPECT_EQ(by_keys["benchmarks"][1]["name"], "null/read/procs:1/keys:1500");
  EXPECT_EQ(by_keys["benchmarks"][1]["value_size"], 65536);
  EXPECT_EQ(keys.out.find("MB/s"), std::string::npos) << "value size does not vary";

  // One of each: today's names and table.
  const CommandResult single = run_sharebench({"--strategy", "null", "--keys", "1K", "--value-size", "64K",
                                               "--duration", "0.05", "--warmup", "0", "--no-limits", "--out", out});
  ASSERT_EQ(single.exit_code, 0) << single.err;
  const auto one = nlohmann::json::parse(testing::read_file(out));
  ASSERT_EQ(one["benchmarks"].size(), 1u);
  EXPECT_EQ(one["benchmarks"][0]["name"], "null/read/procs:1");
  EXPECT_EQ(one["benchmarks"][0]["keys"], 1000);
  EXPECT_EQ(one["benchmarks"][0]["value_size"], 65536);
  EXPECT_NE(single.out.find("strategy            workload     procs batch       ops/s  % limit"), std::string::npos)
      << single.out;
}

// Bytes of values moved: every get of null-values finds its value at --hit-ratio 1, so
// bytes_per_second is iterations x value_size / window exactly; null finds none.
TEST(Cli, BytesPerSecondCountsTheValuesMoved) {
  ScratchDir dir;
  const std::string out = dir.file("bytes.json");
  const CommandResult r = run_sharebench({"--strategy", "null-values,null", "--value-size", "1K", "--keys", "1000",
                                          "--hit-ratio", "1", "--repetitions", "2", "--duration", "0.05", "--warmup",
                                          "0", "--no-limits", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = nlohmann::json::parse(testing::read_file(out));
  int runs = 0;
  for (const auto& b : report["benchmarks"]) {
    if (b["run_type"] != "iteration") continue;
    ++runs;
    const std::uint64_t found = b["ops"]["get_found"];
    EXPECT_EQ(found, b["strategy"] == "null" ? 0u : b["iterations"].get<std::uint64_t>()) << b["name"];
    EXPECT_DOUBLE_EQ(b["bytes_per_second"].get<double>(),
                     static_cast<double>(found * 1024) / b["window_s"].get<double>()) << b["name"];
  }
  EXPECT_EQ(runs, 4);
  // The aggregates carry it too, aggregated as items_per_second.
  const auto& mean = report["benchmarks"][2];
  ASSERT_EQ(mean["name"], "null-values/read/procs:1_mean");
  EXPECT_DOUBLE_EQ(mean["bytes_per_second"].get<double>(), (report["benchmarks"][0]["bytes_per_second"].get<double>() +
                                                            report["benchmarks"][1]["bytes_per_second"].get<double>()) / 2);
  EXPECT_EQ(mean["value_size"], 1024);
  EXPECT_EQ(mean["keys"], 1000);
}

// Each size's memory is checked before its dataset is built: in a sweep the one that cannot
// fit is skipped with the reason, and the sizes around it run.
TEST(Cli, ASizeThatCannotFitIsSkippedAndTheSweepGoesOn) {
  ScratchDir dir;
  const std::string out = dir.file("memory.json");
  const CommandResult r = run_sharebench({"--strategy", "null", "--value-size", "1M", "--keys", "10,1G,20",
                                          "--duration", "0.05", "--warmup", "0", "--no-limits", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = nlohmann::json::parse(testing::read_file(out));
  ASSERT_EQ(report["benchmarks"].size(), 3u);
  EXPECT_EQ(report["benchmarks"][0]["status"], "ok");
  EXPECT_EQ(report["benchmarks"][2]["status"], "ok");
  EXPECT_EQ(report["benchmarks"][2]["name"], "null/read/procs:1/keys:20");
  const auto& skipped = report["benchmarks"][1];
  EXPECT_EQ(skipped["name"], "null/read/procs:1/keys:1G");
  EXPECT_EQ(skipped["status"], "skipped");
  EXPECT_EQ(skipped["keys"], 1'000'000'000);
  EXPECT_TRUE(std::regex_match(skipped["reason"].get<std::string>(),
                               std::regex("--keys 1000000000 with --value-size 1048576 needs about [0-9.]+ GiB for the "
                                          "read workload; this machine has [0-9.]+ GiB: use fewer keys or smaller values")))
      << skipped["reason"];
  EXPECT_EQ(skipped["iterations"], 0);
  EXPECT_EQ(skipped["bytes_per_second"], 0);
}

// A strategy's own limit (queue-passing's 64 KiB message) skips the sizes over it, with the
// limit named, and runs the rest; a single size over it is bad input.
TEST(Cli, ASizeOverAStrategysOwnLimitIsSkippedWithTheLimitNamed) {
  ScratchDir dir;
  const std::string out = dir.file("limit.json");
  const CommandResult r = run_sharebench({"--strategy", "queue-passing,null", "--value-size", "32,64K", "--keys", "100",
                                          "--duration", "0.05", "--warmup", "0", "--no-limits", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = nlohmann::json::parse(testing::read_file(out));
  ASSERT_EQ(report["benchmarks"].size(), 4u);
  EXPECT_EQ(report["benchmarks"][0]["name"], "queue-passing/read/procs:1/value:32");
  EXPECT_EQ(report["benchmarks"][0]["status"], "ok");
  EXPECT_EQ(report["benchmarks"][0]["check"]["mismatches"], 0);
  EXPECT_EQ(report["benchmarks"][2]["name"], "queue-passing/read/procs:1/value:64K");
  EXPECT_EQ(report["benchmarks"][2]["status"], "skipped");
  EXPECT_EQ(report["benchmarks"][2]["reason"],
            "queue-passing: the dataset needs messages of 65539 payload bytes (longest key 3 + longest value 65536), "
            "over the 65536 a queue message may carry; use a smaller --value-size");
  EXPECT_EQ(report["benchmarks"][3]["status"], "ok") << "null has no such limit";
  EXPECT_EQ(testing::os_objects_with("-" + std::to_string(r.pid) + "-"), std::vector<std::string>{});
}

TEST(Cli, AWorkloadFileAddsItsWorkloadsAndBadOnesAreRefusedByName) {
  ScratchDir dir;
  const std::string good = dir.file("good.json"), out = dir.file("run.json");
  {
    std::ofstream(good) << R"([{"name": "tiny-update", "keys": 500, "value_size": 40, "get_ratio": 0.5,
                              "put_ratio": 0.5, "distribution": "zipfian"},
                             {"name": "hot", "get_ratio": 0, "add_ratio": 1, "counter_keys": 2}])";
  }
  const CommandResult r = run_sharebench({"--strategy", "shm-map", "--workload-file", good, "--duration", "0.2",
                                          "--warmup", "0", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = nlohmann::json::parse(testing::read_file(out));
  ASSERT_EQ(report["benchmarks"].size(), 2u) << "only the file's workloads when --workload is not given";
  EXPECT_EQ(report["benchmarks"][0]["name"], "shm-map/tiny-update/procs:1");
  EXPECT_EQ(report["benchmarks"][1]["ops"]["add"], report["benchmarks"][1]["iterations"]);
  EXPECT_EQ(report["context"]["settings"]["workloads"][0]["value_size"], 40);

  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"name": "x", "colour": 1})", "unknown field 'colour'"},
      {R"({"name": "x", "get_ratio": 0.5})", "get_ratio + put_ratio + add_ratio must be 1, not 0.500000"},
      {R"({"name": "x", "keys": "many"})", "a field has the wrong type"},
      {R"({"name": "a/b"})", "name 'a/b' must be non-empty, without '/', ',' or spaces"},
      {R"([])", "expected a workload object or a non-empty array of them"},
      {"not json", "not JSON"},
  };
  for (const auto& [text, message] : bad) {
    const std::string path = dir.file("bad.json");
    std::ofstream(path) << text;
    const CommandResult b = run_sharebench({"--workload-file", path});
    EXPECT_EQ(b.exit_code, 2) << text;
    EXPECT_EQ(b.err.rfind("sharebench: workload file '" + path + "': " + message, 0), 0u) << b.err;
  }
  const std::string read_again = dir.file("read.json");
  std::ofstream(read_again) << R"({"name": "read"})";
  const CommandResult twice = run_sharebench({"--workload", "read", "--workload-file", read_again});
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_EQ(twice.err, "sharebench: workload 'read' is given twice\n");
}

// A pid that ran once and is gone now.
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

TEST(Cli, CleanRemovesObjectsOfDeadRunsOnlyAndRunsWarnAboutThem) {
  const std::string dead = "sharebench-00112233445566ff-" + std::to_string(dead_pid());
  const std::string live = "sharebench-00112233445566ff-" + std::to_string(::getpid());
  const std::string dead_segment = "/dev/shm/" + dead + "-shm-map", dead_dir = "/tmp/" + dead + "-AbCdEf";
  const std::string live_segment = "/dev/shm/" + live + "-shm-map";
  // Names that only look like ours (no 16-hex run id, no object name) are never touched.
  const std::vector<std::string> decoys = {"/tmp/sharebench-notes-" + std::to_string(dead_pid()) + "-x",
                                           "/dev/shm/sharebench-00112233445566FF-" + std::to_string(dead_pid()) + "-x",
                                           "/dev/shm/" + dead + "-"};
  for (const std::string& decoy : decoys) std::ofstream(decoy) << "x";
  std::ofstream(dead_segment) << "x";
  std::filesystem::create_directory(dead_dir);
  std::ofstream(dead_dir + "/manager.sock") << "x";
  std::ofstream(live_segment) << "x";

  const CommandResult warned = run_sharebench({"--strategy", "null", "--duration", "0.05", "--warmup", "0"});
  EXPECT_NE(warned.out.find("objects left by sharebench runs that died"), std::string::npos) << warned.out;

  const CommandResult listed = run_sharebench({"clean", "--dry-run"});
  EXPECT_EQ(listed.exit_code, 0);
  EXPECT_NE(listed.out.find("would remove " + dead_segment), std::string::npos) << listed.out;
  EXPECT_TRUE(std::filesystem::exists(dead_segment)) << "--dry-run removes nothing";

  const CommandResult cleaned = run_sharebench({"clean"});
  EXPECT_EQ(cleaned.exit_code, 0) << cleaned.err;
  EXPECT_FALSE(std::filesystem::exists(dead_segment));
  EXPECT_FALSE(std::filesystem::exists(dead_dir));
  EXPECT_TRUE(std::filesystem::exists(live_segment)) << "a live run's object was removed";
  EXPECT_EQ(cleaned.out.find(live), std::string::npos);
  for (const std::string& decoy : decoys) {
    EXPECT_TRUE(std::filesystem::exists(decoy)) << decoy << " is not a sharebench object";
    std::filesystem::remove(decoy);
  }
  std::filesystem::remove(live_segment);
}

TEST(Cli, CorruptTableFileExitsTwo) {
  ScratchDir dir;
  const std::string path = dir.file("corrupt.tbl");
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("garbage", f);
    std::fclose(f);
  }
  const CommandResult r = run_sharebench({"--strategy", "mmap-table", "--table-file", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sharebench: table file '" + path + "': truncated: 7 bytes, smaller than the 72-byte header\n");
}

TEST(Cli, ListNamesEveryStrategyWithItsCapabilities) {
  const CommandResult r = run_sharebench({"--list"});
  EXPECT_EQ(r.exit_code, 0);
  std::size_t at = 0;
  for (const StrategyInfo& s : registered_strategies()) {  // each with its line, in the registry's order
    at = r.out.find("\n  " + std::string(s.name) + " ", at);
    EXPECT_NE(at, std::string::npos) << s.name << "\n" << r.out;
    if (at == std::string::npos) break;
  }
  std::size_t supports = 0;
  for (std::size_t i = r.out.find("supports: "); i != std::string::npos; i = r.out.find("supports: ", i + 1)) ++supports;
  EXPECT_EQ(supports, registered_strategies().size()) << r.out;
  EXPECT_NE(r.out.find("supports: get\n"), std::string::npos) << "mmap-table only reads";
}

TEST(Cli, HelpDescribesTheOptions) {
  const CommandResult r = run_sharebench({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* option : {"--strategy", "--workload", "--procs", "--duration", "--out", "--table-file"}) {
    EXPECT_NE(r.out.find(option), std::string::npos) << option;
  }
}

// Every option names what it takes (N, SECONDS, LIST, FILE...), in every command's --help.
TEST(Cli, HelpNamesWhatEachOptionTakes) {
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"--help"}, {"serve", "--help"}, {"compare", "--help"}, {"clean", "--help"}}) {
    const CommandResult r = run_sharebench(command);
    ASSERT_EQ(r.exit_code, 0) << command.front();
    EXPECT_EQ(r.out.find("TEXT"), std::string::npos) << r.out;
  }
  const std::string help = run_sharebench({"--help"}).out;
  for (const char* option : {"--strategy LIST", "--procs LIST", "--duration SECONDS", "--keys LIST", "--value-size LIST",
                             "--workload-file FILE", "--out FILE", "--target OPS", "--shm-size SIZE"}) {
    EXPECT_NE(help.find(option), std::string::npos) << option << "\n" << help;
  }
  EXPECT_NE(run_sharebench({"compare", "--help"}).out.find("--threshold PERCENT"), std::string::npos);
}

// serve --help lists what serve reads: its server, its dataset, where it listens; not the
// options of a run (the subcommand refuses those).
TEST(Cli, ServeHelpListsTheOptionsServeReads) {
  const CommandResult r = run_sharebench({"serve", "--help"});
  ASSERT_EQ(r.exit_code, 0);
  for (const char* option : {"--strategy NAME", "--workload NAME", "--workload-file FILE", "--keys N",
                             "--value-size BYTES", "--seed N", "--transport NAME", "--endpoint ADDRESS"}) {
    EXPECT_NE(r.out.find(option), std::string::npos) << option << "\n" << r.out;
  }
  for (const char* option : {"--procs", "--duration", "--connect", "--pipeline", "--shm-size"}) {
    EXPECT_EQ(r.out.find(option), std::string::npos) << option << "\n" << r.out;
  }
}

TEST(Cli, VersionPrintsTheVersionGitRevisionAndBuildType) {
  const CommandResult r = run_sharebench({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(std::regex_match(r.out, std::regex("sharebench [0-9]+\\.[0-9]+\\.[0-9]+ "
                                                 "\\(git ([0-9a-f]{40}(-dirty)?|unknown), [A-Za-z ]+ build\\)\n")))
      << r.out;
  EXPECT_EQ(r.err, "");
}

TEST(Cli, WholeNumbersMayBeWrittenInScientificNotationWhenExactlyWhole) {
  EXPECT_EQ(parse_integer<std::uint64_t>("--keys", "1e5", 1, 1'000'000'000), 100'000u);
  EXPECT_EQ(parse_integer<std::uint64_t>("--keys", "100000", 1, 1'000'000'000), 100'000u);
  EXPECT_EQ(parse_integer<std::uint64_t>("--keys", "2.5E3", 1, 1'000'000'000), 2'500u);
  EXPECT_EQ(parse_integer<std::uint64_t>("--keys", "1e+9", 1, 1'000'000'000), 1'000'000'000u);
  EXPECT_EQ(parse_integer<std::uint64_t>("--keys", "100000.0", 1, 1'000'000'000), 100'000u);
  EXPECT_EQ(parse_integer<std::uint64_t>("--keys", "12000e-3", 1, 1'000'000'000), 12u);
  EXPECT_EQ(parse_integer<std::uint64_t>("--seed", "18446744073709551615", 0, UINT64_MAX), UINT64_MAX);
  EXPECT_EQ(parse_integer<std::uint64_t>("--seed", "1.8446744073709551615e19", 0, UINT64_MAX), UINT64_MAX)
      << "exact: not rounded through a double";
  EXPECT_EQ(parse_integer<int>("--procs", "0e5", 0, 10), 0);
  for (const char* fraction : {"1.5", "1e-3", "1e", "e5", ".", "1e5x", "1..5", "1e99999"}) {
    EXPECT_THROW(parse_integer<std::uint64_t>("--keys", fraction, 1, 1'000'000'000), Error) << fraction;
  }
  EXPECT_THROW(parse_integer<std::uint64_t>("--seed", "1.8446744073709551616e19", 0, UINT64_MAX), Error);
  EXPECT_THROW(parse_integer<std::uint64_t>("--keys", "1e400", 1, 1'000'000'000), Error);
  try {
    parse_integer<int>("--procs", "-1e1", 1, 1024);
    ADD_FAILURE() << "-1e1 accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "--procs: '-1e1' is out of range; accepted: 1 to 1024");
  }

  ScratchDir dir;
  const std::string out = dir.file("run.json");
  const CommandResult r = run_sharebench({"--strategy", "null", "--keys", "1e3", "--seed", "2.5e1", "--duration",
                                          "0.05", "--warmup", "0", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto settings = nlohmann::json::parse(testing::read_file(out))["context"]["settings"];
  EXPECT_EQ(settings["workloads"][0]["keys"], 1000);
  EXPECT_EQ(settings["seed"], 25);
}

// The --help text of the group `name`: from its heading to the next heading or the end.
std::string help_group(const std::string& help, std::string_view name) {
  const std::size_t start = help.find("[Option Group: " + std::string(name) + "]");
  if (start == std::string::npos) return "";
  const std::size_t next = std::min(help.find("[Option Group: ", start + 1), help.find("\nSubcommands:", start));
  return help.substr(start, next - start);
}

// Each strategy's options are listed once, in its own group; a strategy that reads a flag
// of another's group says so in its own.
TEST(Cli, HelpShowsAGroupPerStrategyWithItsOptions) {
  const CommandResult r = run_sharebench({"--help"});
  ASSERT_EQ(r.exit_code, 0);
  for (const RegisteredOption& option : registered_options()) {
    const std::string flag = "\n    " + std::string(option.spec->flag) + " ";
    EXPECT_NE(help_group(r.out, option.owners.front()->name).find(flag), std::string::npos)
        << option.spec->flag << " is not in " << option.owners.front()->name << "'s group:\n" << r.out;
    EXPECT_EQ(r.out.find(flag), r.out.rfind(flag)) << option.spec->flag << " is listed twice";
    for (std::size_t i = 1; i < option.owners.size(); ++i) {
      EXPECT_NE(help_group(r.out, option.owners[i]->name).find("also reads " + std::string(option.spec->flag)),
                std::string::npos)
          << option.owners[i]->name << "'s group does not name " << option.spec->flag << ":\n" << r.out;
    }
  }
  for (const StrategyInfo& s : registered_strategies()) {
    EXPECT_EQ(help_group(r.out, s.name).empty(), s.options.empty()) << s.name;
  }
}

// An option no strategy of the run reads has no effect: the run says so, naming whose it is,
// once before the table, and the report keeps the warning.
TEST(Cli, AnOptionOfAStrategyOutsideTheRunIsWarnedAboutWithItsOwner) {
  ScratchDir dir;
  const std::string out = dir.file("run.json");
  const CommandResult r = run_sharebench({"--strategy", "shm-map", "--shm-size", "64M", "--add-mode", "rmw",
                                          "--pipeline", "4", "--duration", "0.05", "--warmup", "0", "--keys", "1000",
                                          "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> expected = {
      "--add-mode has no effect: it is an option of socket-manager and py-manager, which this run does not include",
      "--pipeline has no effect: it is an option of socket-manager and redis, which this run does not include"};
  const std::size_t header = r.out.find("strategy            workload");
  for (const std::string& warning : expected) {
    const std::size_t at = r.out.find("***WARNING*** " + warning + "\n");
    EXPECT_LT(at, header) << r.out;
    EXPECT_EQ(at, r.out.rfind("***WARNING*** " + warning)) << "printed twice:\n" << r.out;
  }
  EXPECT_EQ(r.out.find("--shm-size has no effect"), std::string::npos) << "shm-map reads --shm-size";
  const auto warnings = nlohmann::json::parse(testing::read_file(out))["context"]["warnings"];
  for (const std::string& warning : expected) {
    EXPECT_NE(std::find(warnings.begin(), warnings.end(), warning), warnings.end()) << warnings;
  }
}

// Warnings known before the run come before the table and those about its cells after it,
// each once, and the report keeps them all.
TEST(Cli, EachWarningIsPrintedOnceBeforeOrAfterTheTable) {
  ScratchDir dir;
  const std::string out = dir.file("run.json");
  // A round trip per op: a 20 ms window holds far fewer than the 10000 ops a stable figure needs.
  const CommandResult r = run_sharebench({"--strategy", "socket-manager", "--shm-size", "64M", "--duration", "0.02",
                                          "--warmup", "0", "--keys", "1000", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string before = "***WARNING*** --shm-size has no effect: it is an option of shm-map";
  const std::string after = "***WARNING*** socket-manager/read/procs:1 ran only ";
  const std::size_t row = r.out.find("\nsocket-manager      read");
  ASSERT_NE(row, std::string::npos) << r.out;
  EXPECT_LT(r.out.find(before), row) << r.out;
  EXPECT_EQ(r.out.find(before), r.out.rfind(before)) << r.out;
  EXPECT_NE(r.out.find(after, row), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(after), r.out.rfind(after)) << r.out;
  const auto warnings = nlohmann::json::parse(testing::read_file(out))["context"]["warnings"];
  std::size_t printed = 0;
  for (std::size_t at = r.out.find("***WARNING*** "); at != std::string::npos; at = r.out.find("***WARNING*** ", at + 1)) {
    ++printed;
  }
  EXPECT_EQ(warnings.size(), printed) << warnings;
}

std::vector<std::string> short_run(const std::string& out) {
  return {"--strategy", "all", "--procs", "1,2", "--duration", "0.3", "--warmup", "0.1", "--keys", "50000", "--out", out};
}

TEST(Cli, RunPrintsTheTableAndWritesTheReport) {
  ScratchDir dir;
  const std::string out = dir.file("run.json");
  const CommandResult r = run_sharebench(short_run(out), testing::Calibrate::yes);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(testing::os_objects_with("-" + std::to_string(r.pid) + "-"), std::vector<std::string>{});
  EXPECT_NE(r.out.find("strategy            workload     procs batch       ops/s  % limit    CPU/op"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mmap-table          read             2    16"), std::string::npos) << r.out;
  const auto report = nlohmann::json::parse(testing::read_file(out));
  // The cell's CPU: its workers plus every process it started, whoever started it.
  const std::set<std::string> with_servers = {"socket-manager[zmq]", "socket-manager[uds]", "queue-passing", "redis",
                                              "py-manager", "py-queue", "py-redis"};
  for (const auto& c : report["benchmarks"]) {
    if (c["status"] != "ok") continue;
    const auto& cpu = c["cell_cpu"];
    const std::string strategy = c["strategy"];
    EXPECT_DOUBLE_EQ(c["cell_cpu_seconds"].get<double>(), cpu["workers_s"].get<double>() + cpu["helpers_s"].get<double>())
        << c["name"];
    // SCHEMA.md: 0 without operations (a slow peer under a sanitizer may finish none in 0.3 s).
    const double ops = c["iterations"].get<double>();
    EXPECT_DOUBLE_EQ(c["cell_cpu_ns_per_op"].get<double>(), ops > 0 ? c["cell_cpu_seconds"].get<double>() * 1e9 / ops : 0)
        << c["name"];
    EXPECT_GT(cpu["workers_s"].get<double>(), 0) << c["name"];
    if (with_servers.count(strategy) != 0) {
      EXPECT_GT(cpu["processes"].get<int>(), c["procs"].get<int>()) << c["name"];
      EXPECT_GT(cpu["helpers_s"].get<double>(), 0) << c["name"] << ": its server's CPU is the cell's";
    } else if (strategy == "mmap-table" || strategy == "shm-map") {
      EXPECT_EQ(cpu["processes"], c["procs"]) << c["name"];
      EXPECT_EQ(cpu["helpers_s"].get<double>(), 0) << c["name"];
    }
  }
  EXPECT_EQ(report["context"]["json_schema_version"], 1);
  EXPECT_EQ(report["context"]["partial"], false);
  // The calibration: the median of five rounds, and their spread.
  const auto& calibration = report["context"]["calibration"];
  std::vector<double> rounds = calibration["rounds"].get<std::vector<double>>();
  ASSERT_EQ(rounds.size(), 5u);
  std::sort(rounds.begin(), rounds.end());
  EXPECT_GT(rounds[0], 0);
  EXPECT_EQ(calibration["lookups_per_second"].get<double>(), rounds[2]);
  EXPECT_EQ(calibration["min"].get<double>(), rounds[0]);
  EXPECT_EQ(calibration["max"].get<double>(), rounds[4]);
  EXPECT_GE(calibration["cv"].get<double>(), 0);
  EXPECT_EQ(report["context"]["settings"]["calibration"], true);
  // Every registered strategy at procs 1 and 2, in the registry's order.
  ASSERT_EQ(report["benchmarks"].size(), 2 * all_strategies().size());
  for (std::size_t i = 0; i < report["benchmarks"].size(); ++i) {
    const std::string name(all_strategies()[i / 2]->name);
    EXPECT_EQ(report["benchmarks"][i]["name"], name + "/read/procs:" + std::to_string(i % 2 + 1));
  }
  const std::size_t mmap_table = registry_index("mmap-table");
  ASSERT_LT(mmap_table, all_strategies().size());
  const auto& cell = report["benchmarks"][2 * mmap_table + 1];
  EXPECT_EQ(cell["name"], "mmap-table/read/procs:2");
  EXPECT_EQ(cell["status"], "ok");
  EXPECT_EQ(cell["threads"], 2);
  EXPECT_EQ(cell["check"]["mismatches"], 0);
  EXPECT_GT(cell["items_per_second"].get<double>(), 0);
  EXPECT_EQ(cell["family_index"], static_cast<int>(mmap_table));
  EXPECT_EQ(cell["per_family_instance_index"], 1);
}

TEST(Cli, NoCalibrationLeavesTheStartOfRunFiguresNullAndNormalizeRefusesThem) {
  ScratchDir dir;
  const std::string out = dir.file("run.json");
  const CommandResult r = testing::run_command({SHAREBENCH_BINARY, "--no-calibration", "--strategy", "null-values",
                                                "--duration", "0.05", "--warmup", "0", "--keys", "1000", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = nlohmann::json::parse(testing::read_file(out));
  for (const char* figure : {"calibration", "harness_overhead_ns", "harness_whole_cost_ns", "null_values_execute_ns"}) {
    EXPECT_TRUE(report["context"][figure].is_null()) << figure;
  }
  EXPECT_EQ(report["context"]["settings"]["calibration"], false);
  EXPECT_EQ(report["benchmarks"][0]["status"], "ok");  // the cells run as ever
  const CommandResult normalized = run_sharebench({"compare", out, out, "--normalize"});
  EXPECT_EQ(normalized.exit_code, 2);
  EXPECT_NE(normalized.err.find("a report has no calibration figure (written with --no-calibration"), std::string::npos)
      << normalized.err;
}

TEST(Cli, GoogleBenchmarkCompareReadsTwoReports) {
  ScratchDir dir;
  const std::string a = dir.file("a.json"), b = dir.file("b.json");
  for (const std::string& out : {a, b}) {  // the shapes of every strategy's entries, not figures
    ASSERT_EQ(run_sharebench({"--strategy", "all", "--procs", "1,2", "--duration", "0.05", "--warmup", "0", "--keys",
                              "1000", "--no-limits", "--out", out})
                  .exit_code,
              0);
  }
  const CommandResult r =
      testing::run_command({"/usr/bin/python3", "/usr/share/benchmark/compare.py", "benchmarks", a, b});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto cells = nlohmann::json::parse(testing::read_file(a))["benchmarks"];
  ASSERT_EQ(cells.size(), 2 * all_strategies().size());
  for (const auto& cell : cells) {  // every strategy's, skipped ones included
    const std::string name = cell["name"];
    EXPECT_NE(r.out.find(name), std::string::npos) << name << "\n" << r.out;
  }
  EXPECT_EQ(r.err.find("Traceback"), std::string::npos) << r.err;
}

TEST(Cli, CompareRunsItsUTestOnReportsWithRepetitions) {
  ScratchDir dir;
  const std::string a = dir.file("a.json"), b = dir.file("b.json");
  for (const std::string& out : {a, b}) {
    ASSERT_EQ(run_sharebench({"--strategy", "null", "--procs", "1", "--repetitions", "3", "--duration", "0.1",
                              "--warmup", "0", "--keys", "1000", "--out", out})
                  .exit_code,
              0);
  }
  const CommandResult r =
      testing::run_command({"/usr/bin/python3", "/usr/share/benchmark/compare.py", "benchmarks", a, b});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("null/read/procs:1_pvalue"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("U Test, Repetitions: 3 vs 3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("null/read/procs:1_median"), std::string::npos);
}

// The table rows of `strategy`, each split into its columns.
std::vector<std::vector<std::string>> table_rows(const std::string& out, const std::string& strategy) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(strategy + " ", 0) != 0) continue;
    std::istringstream words(line);
    std::vector<std::string>& row = rows.emplace_back();
    for (std::string word; words >> word;) row.push_back(word);
  }
  return rows;
}

// Column `rep` of each row: where a table with repetitions has it (after procs).
std::vector<std::string> rep_column(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::string> reps;
  for (const auto& row : rows) reps.push_back(row.size() > 3 ? row[3] : "");
  return reps;
}

std::vector<std::string> repeated_null_run(std::vector<std::string> extra) {
  std::vector<std::string> args = {"--strategy", "null", "--repetitions", "3", "--duration", "0.05",
                                   "--warmup",   "0",    "--keys",        "1000"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(Cli, RepetitionRowsCarryTheirIndexAndTheAggregatesFollow) {
  const CommandResult r = run_sharebench(repeated_null_run({}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("strategy            workload     procs    rep batch       ops/s  % limit"), std::string::npos) << r.out;
  const auto rows = table_rows(r.out, "null");
  EXPECT_EQ(rep_column(rows), (std::vector<std::string>{"0", "1", "2", "mean", "median", "stddev", "cv"})) << r.out;
  for (const auto& row : rows) {
    ASSERT_GE(row.size(), 4u) << r.out;
    EXPECT_EQ(row[1], "read");
    EXPECT_EQ(row.back(), "ok") << r.out;
  }
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(rows[6][5].back(), '%') << "cv is a percentage: " << r.out;
}

TEST(Cli, AggregatesOnlyShowsOnlyTheAggregateRowsOnTheConsole) {
  ScratchDir dir;
  const std::string out = dir.file("run.json");
  const CommandResult r = run_sharebench(repeated_null_run({"--aggregates-only", "--out", out}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(rep_column(table_rows(r.out, "null")), (std::vector<std::string>{"mean", "median", "stddev", "cv"}))
      << r.out;
  const auto benchmarks = nlohmann::json::parse(testing::read_file(out))["benchmarks"];
  ASSERT_EQ(benchmarks.size(), 4u);
  for (const auto& entry : benchmarks) EXPECT_EQ(entry["run_type"], "aggregate");
}

// A run of `strategy` in open loop at `target` ops/s: its output and its report.
struct OpenLoopRun {
  CommandResult result;
  nlohmann::json report;
};
OpenLoopRun open_loop_run(const ScratchDir& dir, const std::string& strategy, const std::string& target,
                          const std::string& duration) {
  const std::string out = dir.file("open.json");
  OpenLoopRun run;
  run.result = run_sharebench({"--strategy", strategy, "--target", target, "--duration", duration, "--warmup", "0.1",
                               "--keys", "1000", "--out", out});
  if (run.result.exit_code == 0) run.report = nlohmann::json::parse(testing::read_file(out));
  return run;
}

// No machine does 10 billion ops/s: the cell says so, and a warning after the table names it
// and both rates. The console shows the service time beside the corrected latency.
TEST(Cli, AnOpenLoopThatFallsBehindItsTargetIsReportedAndWarnedAbout) {
  ScratchDir dir;
  const OpenLoopRun run = open_loop_run(dir, "null", "1e10", "0.1");
  const CommandResult& r = run.result;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("p99.9    svc p50    svc p99 mismatches"), std::string::npos) << r.out;
  const auto& cell = run.report["benchmarks"][0];
  EXPECT_EQ(cell["target_ops_per_second"], 1e10);
  EXPECT_EQ(cell["target_met"], false);
  EXPECT_EQ(cell["status"], "ok");
  const std::string warning = "null/read/procs:1 fell behind its open-loop target: ";
  const std::size_t row = r.out.find("\nnull                read");
  ASSERT_NE(row, std::string::npos) << r.out;
  const std::size_t at = r.out.find("***WARNING*** " + warning, row);
  ASSERT_NE(at, std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" ops/s of 10.00 G ops/s targeted (more than 5% short)", at), std::string::npos) << r.out;
  const auto warnings = run.report["context"]["warnings"];
  EXPECT_TRUE(std::any_of(warnings.begin(), warnings.end(),
                          [&](const nlohmann::json& w) { return w.get<std::string>().rfind(warning, 0) == 0; }))
      << warnings;
}

// 1000 ops/s is nothing for shm-map, on any machine: the target is met, with one op per due
// time although shm-map asks for batches of 16.
TEST(Cli, AnOpenLoopThatKeepsUpMeetsItsTargetOneOpAtATime) {
  ScratchDir dir;
  const OpenLoopRun run = open_loop_run(dir, "shm-map", "1000", "0.5");
  const CommandResult& r = run.result;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto& cell = run.report["benchmarks"][0];
  EXPECT_EQ(cell["target_ops_per_second"], 1000);
  EXPECT_EQ(cell["target_met"], true) << cell["items_per_second"];
  EXPECT_EQ(cell["batch"], 1);
  EXPECT_EQ(run.report["context"]["settings"]["batch"], "auto");
  EXPECT_EQ(r.out.find("fell behind"), std::string::npos) << r.out;
  const auto rows = table_rows(r.out, "shm-map");
  ASSERT_EQ(rows.size(), 1u) << r.out;
  EXPECT_EQ(rows[0][3], "1") << "batch: " << r.out;
}

// The CPU time (user + system, in clock ticks) each child of `parent` has used so far.
std::vector<long> cpu_ticks_of_children(pid_t parent) {
  std::vector<long> ticks;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = testing::read_file(entry.path().string() + "/stat");
    const std::size_t command_end = stat.rfind(')');  // the command may contain spaces
    if (command_end == std::string::npos) continue;
    std::istringstream fields(stat.substr(command_end + 1));
    std::string field;
    long ppid = 0, utime = 0, stime = 0;
    fields >> field >> ppid;  // fields 3 and 4: state, ppid
    if (ppid != parent) continue;
    for (int i = 5; i <= 13; ++i) fields >> field;
    fields >> utime >> stime;  // fields 14 and 15
    ticks.push_back(utime + stime);
  }
  return ticks;
}

// Ends a sharebench run the test started, if the test ends first: SIGTERM (an orderly stop,
// so that its workers go too), then SIGKILL.
struct ReapOnExit {
  pid_t pid;
  bool reaped = false;
  ~ReapOnExit() {
    if (reaped) return;
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 300 && ::waitpid(pid, nullptr, WNOHANG) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (::kill(pid, SIGKILL) == 0) ::waitpid(pid, nullptr, 0);
  }
};

struct InterruptCase {
  int signal_number;
  const char* strategies;
  const char* keys;  // small for a Manager, whose preload would otherwise look like a measuring worker
};

class Interrupt : public ::testing::TestWithParam<InterruptCase> {};

TEST_P(Interrupt, StopsTearsDownAndWritesAPartialReport) {
  const int signal_number = GetParam().signal_number;
  ScratchDir dir;
  const std::string out = dir.file("partial.json");
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);  // its own process group: whatever it starts can be found after it exits
    ::dup2(pipe_fds[1], 1);
    ::close(pipe_fds[0]);
    const int null_fd = ::open("/dev/null", O_WRONLY);
    ::dup2(null_fd, 2);
    ::execl(SHAREBENCH_BINARY, SHAREBENCH_BINARY, "--no-calibration", "--strategy", GetParam().strategies, "--procs",
            "2", "--duration", "30", "--warmup", "0", "--keys", GetParam().keys, "--out", out.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  ReapOnExit guard{pid};
  // The table header comes before the first cell (and after the calibration cells a run without
  // --no-calibration measures): from it on, the children are the first cell's two workers
  // (shm-map starts no helper).
  std::FILE* rows = ::fdopen(pipe_fds[0], "r");
  char line[512];
  bool header = false;
  while (!header && std::fgets(line, sizeof line, rows) != nullptr) header = std::string(line).rfind("strategy ", 0) == 0;
  ASSERT_TRUE(header);
  // Interrupt the first cell's 30 s window once it has surely started: with no warm-up, a worker
  // spends CPU time only in the window (connecting and getting ready takes a few ms of it), so
  // two workers with 100 ms each are measuring. The deadline is only for a run that never gets there.
  const long enough = std::max(1L, ::sysconf(_SC_CLK_TCK) / 10);
  bool measuring = false;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(25);
       !measuring && std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(std::chrono::milliseconds(20))) {
    const std::vector<long> ticks = cpu_ticks_of_children(pid);
    measuring = std::count_if(ticks.begin(), ticks.end(), [&](long t) { return t >= enough; }) >= 2;
  }
  ASSERT_TRUE(measuring) << "the first cell's workers did not start measuring within 25 s";
  const auto start = std::chrono::steady_clock::now();
  ::kill(pid, signal_number);
  std::string rest;
  while (std::fgets(line, sizeof line, rows) != nullptr) rest += line;
  int status = 0;
  ::waitpid(pid, &status, 0);
  guard.reaped = true;
  std::fclose(rows);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15)) << "the run did not stop";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + signal_number);
  const auto report = nlohmann::json::parse(testing::read_file(out));
  EXPECT_EQ(report["context"]["partial"], true);
  ASSERT_EQ(report["benchmarks"].size(), 1u) << "the sweep must stop after the interrupted cell";
  EXPECT_EQ(report["benchmarks"][0]["status"], "failed");
  const std::string name = signal_number == SIGINT ? "SIGINT" : "SIGTERM";
  const std::string reason = report["benchmarks"][0]["reason"];
  const std::string prefix = "interrupted by " + name + " after ";
  ASSERT_EQ(reason.rfind(prefix, 0), 0u) << reason;
  const double window = std::stod(reason.substr(prefix.size()));  // "... after 1.23 s of the window"
  EXPECT_GT(window, 0) << reason;
  EXPECT_LT(window, 30) << "the 30 s window was not cut short: " << reason;
  EXPECT_GT(report["benchmarks"][0]["iterations"].get<double>(), 0) << "what was measured is kept";
  EXPECT_NE(rest.find("failed: interrupted by " + name), std::string::npos) << rest;
  EXPECT_EQ(testing::os_objects_with("-" + std::to_string(pid) + "-"), std::vector<std::string>{});
  // A Manager's server, a Queue's owner: none outlives the run.
  EXPECT_TRUE(::kill(-pid, 0) == -1 && errno == ESRCH) << "a process the run started is still alive";
}

INSTANTIATE_TEST_SUITE_P(Signals, Interrupt,
                         ::testing::Values(InterruptCase{SIGINT, "shm-map,mmap-table", "20000"},
                                           InterruptCase{SIGTERM, "shm-map,mmap-table", "20000"},
                                           InterruptCase{SIGINT, "py-manager,py-queue", "1000"}),
                         [](const ::testing::TestParamInfo<InterruptCase>& p) {
                           const std::string name = p.param.signal_number == SIGINT ? "SIGINT" : "SIGTERM";
                           return name + (std::string(p.param.strategies).starts_with("py-") ? "_Python" : "");
                         });

}  // namespace
}  // namespace sharebench
