// The py-* strategies beyond the conformance suite: forks while an interpreter lives in the
// coordinator never hang and leave nothing behind, and what goes wrong in a peer reaches the
// user as one line they can act on.
#include <gtest/gtest.h>

#include <algorithm>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/test_cell.hpp"
#include "tests/test_strategies.hpp"
#include "tests/test_support.hpp"

namespace sharebench {
namespace {

std::size_t threads_in_this_process() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& task : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// A peer module written for one test, removed after it.
class PeerFile {
 public:
  PeerFile(const std::string& name, const std::string& text)
      : path_(std::filesystem::temp_directory_path() / (testing::test_object_prefix() + "-" + name + ".py")) {
    std::ofstream(path_) << text;
  }
  ~PeerFile() { std::filesystem::remove(path_); }
  std::string strategy() const { return "python:" + path_.string(); }

 private:
  std::filesystem::path path_;
};

const char* const kProtocol = R"(
def capabilities():
    return {"holds_data": True, "put": True, "add": True, "atomic_add": False}
def prepare(entries, counters, prefix):
    return dict(entries)
def teardown(state):
    pass
)";

class Python : public ::testing::Test, protected testing::TestCell {};

// The runner forks workers and a checker while the coordinator holds an interpreter with a
// Manager or a Queue owner running: 100 cells in a row, at 1, 2, 4 and 8 procs.
TEST_F(Python, HundredCellsInARowNeitherHangNorLeaveAnythingBehind) {
  settings.duration = std::chrono::milliseconds(20);
  use("mixed", 500);
  const std::size_t threads_before = threads_in_this_process();
  // multiprocessing's own temporary directories (pymp-*): a Manager's listener lives in one.
  const std::vector<std::string> pymp_before = testing::tmp_entries_with("pymp-");
  int cells = 0;
  for (int procs : {1, 2, 4, 8}) {
    for (int i = 0; i < 25; ++i, ++cells) {
      const char* name = i % 2 == 0 ? "py-queue" : "py-manager";
      const CellResult r = run(*find_strategy(name), procs);
      ASSERT_EQ(r.status, CellStatus::ok) << name << " procs " << procs << " cell " << i << ": " << r.reason;
      EXPECT_EQ(r.check.mismatches, 0u) << r.check.first_problem;
      ASSERT_EQ(::waitpid(-1, nullptr, WNOHANG), -1) << name << ": a process outlived its cell";
      ASSERT_EQ(threads_in_this_process(), threads_before) << name << ": a thread was left in the coordinator";
    }
  }
  EXPECT_EQ(cells, 100);
  for (const std::string& entry : testing::tmp_entries_with("pymp-")) {
    EXPECT_NE(std::find(pymp_before.begin(), pymp_before.end(), entry), pymp_before.end())
        << entry << ": multiprocessing's temporary directory was left in /tmp";
  }
  EXPECT_EQ(testing::os_objects_with(settings.strategy_options.object_prefix), std::vector<std::string>{});
  EXPECT_EQ(testing::tmp_entries_with(settings.strategy_options.object_prefix), std::vector<std::string>{});
}

TEST_F(Python, AnExceptionInAWorkerFailsTheCellWithOneLine) {
  const PeerFile peer("raises", std::string(kProtocol) + R"(
class Client:
    def get(self, key):
        raise BrokenPipeError(32, "Broken pipe")
    def put(self, key, value):
        pass
    def add(self, key, delta):
        return delta
def connect(state, worker):
    return Client()
)");
  use("read", 100);
  const StrategyInfo& info = *find_strategy(peer.strategy());
  const CellResult r = run(info, 1);
  ASSERT_EQ(r.status, CellStatus::failed);
  EXPECT_EQ(r.reason, "worker 0: " + peer.strategy() + ": BrokenPipeError: [Errno 32] Broken pipe");
}

// A peer with execute() gets the whole batch in one call, in order, and its results land in
// the right ops.
TEST_F(Python, ABatchGoesToExecuteInOneCallAndItsResultsComeBack) {
  const PeerFile peer("batch", std::string(kProtocol) + R"(
class Client:
    preferred_batch = 8
    def __init__(self, d):
        self.d, self.calls = d, 0
    def execute(self, ops):
        self.calls += 1
        out = []
        for kind, key, arg in ops:
            if kind == 0:
                out.append(self.d.get(key) if key != b"calls" else str(self.calls).encode())
            elif kind == 1:
                self.d[key] = arg
                out.append(None)
            else:
                self.d[key] = self.d.get(key, 0) + arg
                out.append(self.d[key])
        return out
def connect(state, worker):
    return Client(state)
)");
  Dataset d;
  d.add("a", std::string("\0x", 2));
  auto strategy = find_strategy(peer.strategy())->make(settings.strategy_options);
  strategy->prepare(d);
  auto client = strategy->connect(0);
  EXPECT_EQ(client->preferred_batch(), 8u);
  std::vector<Op> ops(5);
  ops[0].key = "a";
  ops[1].kind = OpKind::put, ops[1].key = "b", ops[1].value = "bee";
  ops[2].key = "b";
  ops[3].kind = OpKind::add, ops[3].key = "n", ops[3].delta = -4;
  ops[4].key = "calls";
  client->execute(ops);
  EXPECT_TRUE(ops[0].found);
  EXPECT_EQ(ops[0].result, std::string("\0x", 2));
  EXPECT_EQ(ops[2].result, "bee");
  EXPECT_EQ(ops[3].counter, -4);
  EXPECT_EQ(ops[4].result, "1") << "one call for the batch";
  std::string value;
  EXPECT_FALSE(client->get("absent", value));
  client.reset();
  strategy->teardown();
}

TEST_F(Python, AMissingPackageSkipsTheCellNamingIt) {
  const PeerFile peer("needs_package", R"(
def capabilities():
    return {"put": True}
def prepare(entries, counters, prefix):
    import sharebench_no_such_package
def connect(state, worker):
    pass
def teardown(state):
    pass
)");
  use("read", 100);
  const CellResult r = run(*find_strategy(peer.strategy()), 1);
  ASSERT_EQ(r.status, CellStatus::skipped) << r.reason;
  EXPECT_NE(r.reason.find("the Python module 'sharebench_no_such_package' is not installed"), std::string::npos)
      << r.reason;
}

TEST_F(Python, AMissingModuleFileExitsTwoNamingIt) {
  const testing::CommandResult r = testing::run_sharebench({"--strategy", "python:no/such/peer.py", "--duration", "0.1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("python:no/such/peer.py: no such file: no/such/peer.py"), std::string::npos) << r.err;
}

TEST_F(Python, AModuleLackingPartOfTheProtocolExitsTwoNamingWhatIsMissing) {
  const PeerFile peer("partial", R"(
def capabilities():
    return {}
def prepare(entries, counters, prefix):
    return None
)");
  const testing::CommandResult r = testing::run_sharebench({"--strategy", peer.strategy(), "--duration", "0.1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("the module lacks connect(), teardown() of the peer protocol"), std::string::npos) << r.err;
}

TEST_F(Python, TheExampleUserPeerIsACorrectSharedDict) {
  const StrategyInfo& info =
      *find_strategy("python:" SHAREBENCH_SOURCE_DIR "/strategies/python/peers/example_user.py");
  for (const char* name : {"update", "counter"}) {
    use(name, 500);
    const CellResult r = run(info, 2);
    ASSERT_EQ(r.status, CellStatus::ok) << name << ": " << r.reason;
    EXPECT_EQ(r.check.mismatches, 0u) << r.check.first_problem;
    EXPECT_EQ(r.check.lost_puts, 0u) << r.check.first_problem;
    EXPECT_EQ(r.check.lost_adds, 0) << r.check.first_problem;
  }
}

// Manager().dict() as people write d[k] += 1 promises nothing (its lost updates are reported,
// not failed); --add-mode atomic takes a Manager().Lock() around it and loses no add.
TEST_F(Python, ManagerAddsUnderItsLockLoseNothing) {
  const StrategyInfo& info = *find_strategy("py-manager");
  EXPECT_FALSE(info.make(settings.strategy_options)->capabilities().atomic_add);
  settings.strategy_options.given["--add-mode"] = "atomic";
  EXPECT_TRUE(info.make(settings.strategy_options)->capabilities().atomic_add);
  use("counter", 0);
  const CellResult r = run(info, 2);
  ASSERT_EQ(r.status, CellStatus::ok) << r.reason;
  EXPECT_GT(r.adds, 0u);
  EXPECT_EQ(r.check.lost_adds, 0) << r.check.first_problem;
}

// py-queue's puts are one-way: with an unbounded request Queue they only buffered in the
// worker, and after a window of a second the workers' exit waited for the owner to drain the
// whole backlog, past the runner's grace (the cell failed every time at 2 processes here, and
// 4 producers build the backlog twice as fast). Bounded, a put waits for the owner, the workers
// exit at once, and every put is in the final state.
TEST_F(Python, QueueWritesForASecondEndWithTheWorkersExitingAndEveryPutKept) {
  settings.duration = std::chrono::milliseconds(1000);
  use("write", 1000);
  const CellResult r = run(*find_strategy("py-queue"), 4);
  ASSERT_EQ(r.status, CellStatus::ok) << r.reason;
  EXPECT_GT(r.puts, 0u);
  EXPECT_GT(r.check.final_keys_checked, 0u);
  EXPECT_EQ(r.check.lost_puts, 0u) << r.check.first_problem;
}

// Its bound fills when the owner dies: a put then gives up after --op-timeout and the cell
// fails naming the owner's end, instead of waiting for the end of a 20 s window.
TEST_F(Python, QueueWritesToAKilledOwnerFailTheCellWithinTheOpTimeout) {
  settings.duration = std::chrono::seconds(20);
  use("write", 1000);
  const auto start = std::chrono::steady_clock::now();
  const CellResult r = run(testing::killing_its_helper(*find_strategy("py-queue")), 2);
  ASSERT_EQ(r.status, CellStatus::failed);
  EXPECT_NE(r.reason.find("owner exited: killed by signal 9 (SIGKILL)"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("the owner took no request within"), std::string::npos) << r.reason;
  // Within the op timeout and the teardown (5 s more for a loaded machine), not the window.
  EXPECT_LT(std::chrono::steady_clock::now() - start, settings.strategy_options.op_timeout + std::chrono::seconds(5));
}

// A run with a Python strategy goes on inside Debian's python3.11, the interpreter Python users
// run (strategies/python/host.hpp), with the command line it was given; one without does not.
TEST(PythonHost, ARunWithAPythonStrategyGoesOnInsidePython311) {
  const testing::ScratchDir dir;
  const std::string out = dir.file("report.json");
  const std::pair<const char*, const char*> runs[] = {{"null,py-null", SHAREBENCH_PYTHON_HOSTED ? "hosted" : "embedded"},
                                                      {"null", "none"}};
  for (const auto& [strategies, runtime] : runs) {
    const testing::CommandResult r = testing::run_sharebench({"--strategy", strategies, "--keys", "1000", "--duration",
                                                              "0.05", "--warmup", "0", "--no-limits", "--out", out});
    ASSERT_EQ(r.exit_code, 0) << strategies << ": " << r.err;
    const auto report = nlohmann::json::parse(testing::read_file(out));
    EXPECT_EQ(report["context"]["python"]["runtime"], runtime) << strategies;
    EXPECT_EQ(report["context"]["python"]["executable"], "/usr/bin/python3.11");
    EXPECT_EQ(report["context"]["executable"], SHAREBENCH_BINARY);
    for (const auto& cell : report["benchmarks"]) EXPECT_EQ(cell["status"], "ok") << cell["name"];
  }
  // What the coordinator is, asked from Python inside it: python3.11, still named sharebench.
  const std::string seen = dir.file("seen");
  const PeerFile peer("where", "import os\n"
                               "def prepare(entries, counters, prefix):\n"
                               "    with open('" + seen + "', 'w') as f:\n"
                               "        f.write(open('/proc/self/comm').read().strip() + ' ' + os.readlink('/proc/self/exe'))\n"
                               "    return True\n"
                               "def teardown(state):\n"
                               "    pass\n"
                               "def capabilities():\n"
                               "    return {'holds_data': False}\n"
                               "class Client:\n"
                               "    def get(self, key):\n"
                               "        return None\n"
                               "def connect(state, worker):\n"
                               "    return Client()\n");
  const testing::CommandResult r = testing::run_sharebench(
      {"--strategy", peer.strategy(), "--keys", "100", "--duration", "0.05", "--warmup", "0", "--no-limits"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(testing::read_file(seen),
            std::string("sharebench ") + (SHAREBENCH_PYTHON_HOSTED ? "/usr/bin/python3.11" : SHAREBENCH_BINARY));
}

// The re-execution comes before anything is read: a workload file on a pipe is read once, by
// the process that runs.
TEST(PythonHost, AWorkloadFileOnAPipeIsReadOnce) {
  const testing::ScratchDir dir;
  const std::string out = dir.file("report.json");
  const testing::CommandResult r = testing::run_command(
      {"/bin/sh", "-c",
       "echo '[{\"name\": \"piped\", \"keys\": 100}]' | " SHAREBENCH_BINARY
       " --strategy py-null --workload-file /dev/stdin --duration 0.05 --warmup 0 --no-limits --out " + out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = nlohmann::json::parse(testing::read_file(out));
  ASSERT_EQ(report["benchmarks"].size(), 1u);
  EXPECT_EQ(report["benchmarks"][0]["name"], "py-null/piped/procs:1");
}

}  // namespace
}  // namespace sharebench
