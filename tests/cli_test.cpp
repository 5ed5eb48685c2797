// The command line as a user meets it: bad input gets exit 2 and one line naming the
// problem; a run writes a report that Google Benchmark's compare.py reads; Ctrl-C stops
// cleanly with a partial report.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

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
        BadInput{"UnknownStrategy", {"--strategy", "bogus"}, "--strategy: unknown strategy 'bogus'; accepted: all, null, mmap-table, shm-map, socket-manager, queue-passing, redis, py-null, py-mmap-dict, py-manager, py-queue, py-value-array, py-lmdb, py-redis"},
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
  EXPECT_NE(r.out.find("null"), std::string::npos);
  EXPECT_NE(r.out.find("mmap-table"), std::string::npos);
  EXPECT_NE(r.out.find("supports: get\n"), std::string::npos);
}

TEST(Cli, HelpDescribesTheOptions) {
  const CommandResult r = run_sharebench({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* option : {"--strategy", "--workload", "--procs", "--duration", "--out", "--table-file"}) {
    EXPECT_NE(r.out.find(option), std::string::npos) << option;
  }
}

std::vector<std::string> short_run(const std::string& out) {
  return {"--strategy", "all", "--procs", "1,2", "--duration", "0.3", "--warmup", "0.1", "--keys", "50000", "--out", out};
}

TEST(Cli, RunPrintsTheTableAndWritesTheReport) {
  ScratchDir dir;
  const std::string out = dir.file("run.json");
  const CommandResult r = run_sharebench(short_run(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(testing::os_objects_with("-" + std::to_string(r.pid) + "-"), std::vector<std::string>{});
  EXPECT_NE(r.out.find("strategy         workload     procs batch       ops/s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mmap-table       read             2    16"), std::string::npos) << r.out;
  const auto report = nlohmann::json::parse(testing::read_file(out));
  EXPECT_EQ(report["context"]["json_schema_version"], 1);
  EXPECT_EQ(report["context"]["partial"], false);
  EXPECT_GT(report["context"]["calibration"]["lookups_per_second"].get<double>(), 0);
  ASSERT_EQ(report["benchmarks"].size(), 26u);  // 13 strategies x procs 1, 2
  const auto& cell = report["benchmarks"][3];
  EXPECT_EQ(cell["name"], "mmap-table/read/procs:2");
  EXPECT_EQ(cell["status"], "ok");
  EXPECT_EQ(cell["threads"], 2);
  EXPECT_EQ(cell["check"]["mismatches"], 0);
  EXPECT_GT(cell["items_per_second"].get<double>(), 0);
  EXPECT_EQ(cell["family_index"], 1);
  EXPECT_EQ(cell["per_family_instance_index"], 1);
}

TEST(Cli, GoogleBenchmarkCompareReadsTwoReports) {
  ScratchDir dir;
  const std::string a = dir.file("a.json"), b = dir.file("b.json");
  ASSERT_EQ(run_sharebench(short_run(a)).exit_code, 0);
  ASSERT_EQ(run_sharebench(short_run(b)).exit_code, 0);
  const CommandResult r =
      testing::run_command({"/usr/bin/python3", "/usr/share/benchmark/compare.py", "benchmarks", a, b});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"null/read/procs:1", "null/read/procs:2", "mmap-table/read/procs:1", "mmap-table/read/procs:2"}) {
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

class Interrupt : public ::testing::TestWithParam<int> {};

TEST_P(Interrupt, StopsTearsDownAndWritesAPartialReport) {
  const int signal_number = GetParam();
  ScratchDir dir;
  const std::string out = dir.file("partial.json");
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipe_fds[1], 1);
    ::close(pipe_fds[0]);
    const int null_fd = ::open("/dev/null", O_WRONLY);
    ::dup2(null_fd, 2);
    ::execl(SHAREBENCH_BINARY, SHAREBENCH_BINARY, "--strategy", "shm-map,mmap-table", "--procs", "2",
            "--duration", "30", "--warmup", "0", "--keys", "20000", "--out", out.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  // Interrupt the first cell's 30 s window once the table header shows the run has started.
  std::FILE* rows = ::fdopen(pipe_fds[0], "r");
  char line[512];
  bool header = false;
  while (!header && std::fgets(line, sizeof line, rows) != nullptr) header = std::string(line).rfind("strategy ", 0) == 0;
  ASSERT_TRUE(header);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const auto start = std::chrono::steady_clock::now();
  ::kill(pid, signal_number);
  std::string rest;
  while (std::fgets(line, sizeof line, rows) != nullptr) rest += line;
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::fclose(rows);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5)) << "the 30 s window was not cut short";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + signal_number);
  const auto report = nlohmann::json::parse(testing::read_file(out));
  EXPECT_EQ(report["context"]["partial"], true);
  ASSERT_EQ(report["benchmarks"].size(), 1u) << "the sweep must stop after the interrupted cell";
  EXPECT_EQ(report["benchmarks"][0]["status"], "failed");
  const std::string name = signal_number == SIGINT ? "SIGINT" : "SIGTERM";
  EXPECT_EQ(report["benchmarks"][0]["reason"].get<std::string>().rfind("interrupted by " + name + " after ", 0), 0u)
      << report["benchmarks"][0]["reason"];
  EXPECT_GT(report["benchmarks"][0]["iterations"].get<double>(), 0) << "what was measured is kept";
  EXPECT_NE(rest.find("failed: interrupted by " + name), std::string::npos) << rest;
  EXPECT_EQ(testing::os_objects_with("-" + std::to_string(pid) + "-"), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(Signals, Interrupt, ::testing::Values(SIGINT, SIGTERM),
                         [](const ::testing::TestParamInfo<int>& p) { return p.param == SIGINT ? "SIGINT" : "SIGTERM"; });

}  // namespace
}  // namespace sharebench
