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
#include <nlohmann/json.hpp>
#include <thread>

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
        BadInput{"UnknownStrategy", {"--strategy", "bogus"}, "--strategy: unknown strategy 'bogus'; accepted: all, null, mmap-table, shm-map, queue-passing"},
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
  EXPECT_NE(r.out.find("strategy         workload   procs batch       ops/s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mmap-table       read           2    16"), std::string::npos) << r.out;
  const auto report = nlohmann::json::parse(testing::read_file(out));
  EXPECT_EQ(report["context"]["json_schema_version"], 1);
  EXPECT_EQ(report["context"]["partial"], false);
  EXPECT_GT(report["context"]["calibration"]["lookups_per_second"].get<double>(), 0);
  ASSERT_EQ(report["benchmarks"].size(), 8u);  // null, mmap-table, shm-map, queue-passing x procs 1, 2
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

TEST(Cli, InterruptStopsTearsDownAndWritesAPartialReport) {
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
  ::kill(pid, SIGINT);
  std::string rest;
  while (std::fgets(line, sizeof line, rows) != nullptr) rest += line;
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::fclose(rows);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5)) << "the 30 s window was not cut short";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const auto report = nlohmann::json::parse(testing::read_file(out));
  EXPECT_EQ(report["context"]["partial"], true);
  ASSERT_EQ(report["benchmarks"].size(), 1u) << "the sweep must stop after the interrupted cell";
  EXPECT_EQ(report["benchmarks"][0]["status"], "failed");
  EXPECT_EQ(report["benchmarks"][0]["reason"].get<std::string>().rfind("interrupted by SIGINT after ", 0), 0u)
      << report["benchmarks"][0]["reason"];
  EXPECT_GT(report["benchmarks"][0]["iterations"].get<double>(), 0) << "what was measured is kept";
  EXPECT_NE(rest.find("failed: interrupted by SIGINT"), std::string::npos) << rest;
  EXPECT_EQ(testing::os_objects_with("-" + std::to_string(pid) + "-"), std::vector<std::string>{});
}

}  // namespace
}  // namespace sharebench
