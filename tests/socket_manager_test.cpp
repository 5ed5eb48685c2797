// socket-manager: the wire codec and its malformed frames, the server's request handler, both
// transports end to end, the Manager pitfall (read-modify-write adds lose updates), a server
// killed mid-run, serve/--connect on 127.0.0.1, serve on an endpoint another server holds, and
// a server stopped while a client keeps it busy.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <zmq.hpp>

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "common/os.hpp"
#include "harness/runner.hpp"
#include "strategies/socket_manager/client.hpp"
#include "strategies/socket_manager/handler.hpp"
#include "strategies/socket_manager/socket_manager.hpp"
#include "strategies/socket_manager/wire.hpp"
#include "tests/test_cell.hpp"
#include "tests/test_strategies.hpp"
#include "tests/test_support.hpp"

namespace sharebench {
namespace {

using namespace socket_manager;
using namespace std::chrono_literals;

// ----- the codec -----

std::string request_frame(WireOp op, std::uint32_t id, std::string_view key, std::string_view value) {
  std::string frame;
  encode_request(frame, {op, id, key, value});
  return frame;
}

TEST(Wire, RequestsAndRepliesRoundTripWithBinaryBytes) {
  const std::string key("k\0y", 3), value("\0v\0", 3);
  Request r;
  const std::string frame = request_frame(WireOp::put, 77, key, value);
  ASSERT_EQ(decode_request(frame, r), "");
  EXPECT_EQ(r.op, WireOp::put);
  EXPECT_EQ(r.id, 77u);
  EXPECT_EQ(r.key, key);
  EXPECT_EQ(r.value, value);

  std::string reply_frame;
  encode_reply(reply_frame, {WireStatus::found, 9, value});
  Reply reply;
  ASSERT_EQ(decode_reply(reply_frame, reply), "");
  EXPECT_EQ(reply.status, WireStatus::found);
  EXPECT_EQ(reply.id, 9u);
  EXPECT_EQ(reply.value, value);

  std::int64_t n = 0;
  ASSERT_TRUE(decode_int64(encode_int64(-5), &n));
  EXPECT_EQ(n, -5);
  EXPECT_FALSE(decode_int64("1234567", &n));
}

TEST(Wire, EveryMalformedRequestIsNamed) {
  Request r;
  const std::string good = request_frame(WireOp::get, 5, "key", "");
  EXPECT_EQ(decode_request(good.substr(0, 10), r), "truncated request: 10 bytes, header is 16");
  EXPECT_EQ(decode_request("", r), "truncated request: 0 bytes, header is 16");
  std::string bad_version = good;
  bad_version[1] = 9;
  EXPECT_EQ(decode_request(bad_version, r), "wire version 9, expected 2");
  EXPECT_EQ(r.id, 5u) << "the id is known as soon as the header is, so the error reply can name it";
  std::string bad_op = good;
  bad_op[0] = 42;
  EXPECT_EQ(decode_request(bad_op, r), "unknown op 42");
  EXPECT_EQ(decode_request(good + "x", r), "request sizes (key 3, value 0) do not match the frame's 20 bytes");
  EXPECT_EQ(decode_request(good.substr(0, good.size() - 1), r),
            "request sizes (key 3, value 0) do not match the frame's 18 bytes");
  std::string huge_key = good;
  huge_key[8] = '\xff';
  huge_key[11] = '\xff';
  EXPECT_NE(decode_request(huge_key, r).find("do not match"), std::string::npos);
  EXPECT_EQ(decode_request(request_frame(WireOp::add, 1, "c", "1234"), r), "add needs an 8-byte delta");
}

TEST(Wire, MalformedRepliesAndStreamFrames) {
  Reply reply;
  EXPECT_EQ(decode_reply("abc", reply), "truncated reply: 3 bytes, header is 12");
  std::string frame;
  encode_reply(frame, {WireStatus::done, 1, "v"});
  frame[0] = 7;
  EXPECT_EQ(decode_reply(frame, reply), "unknown reply status 7");

  std::string stream;
  append_length_prefix(stream, 3);
  stream += "ab";
  std::string_view out;
  EXPECT_EQ(next_stream_frame(stream, &out), 0u) << "incomplete: wait for more";
  stream += "c";
  EXPECT_EQ(next_stream_frame(stream, &out), 7u);
  EXPECT_EQ(out, "abc");
  std::string absurd;
  append_length_prefix(absurd, kMaxFrame + 1);
  EXPECT_THROW(next_stream_frame(absurd, &out), Error);
}

// ----- the request handler -----

TEST(Handler, HandlesEveryOpAndKeepsServingAfterABadFrame) {
  Dataset d;
  d.set_workload("tiny");
  d.add("a", "1");
  d.add_counter("c");
  Dictionary dict(d);
  Handler handler(dict);
  const std::vector<std::string> frames = {
      request_frame(WireOp::get, 1, "a", ""),         "garbage",
      request_frame(WireOp::put, 2, "b", "bee"),      request_frame(WireOp::get, 3, "b", ""),
      request_frame(WireOp::add, 4, "c", encode_int64(5)), request_frame(WireOp::add, 5, "a", encode_int64(1)),
      request_frame(WireOp::get, 6, "zz", ""),        request_frame(WireOp::reset, 7, "", ""),
      request_frame(WireOp::get, 8, "b", ""),         request_frame(WireOp::hello, 9, "", "")};
  const std::vector<std::string_view> views(frames.begin(), frames.end());
  std::string out;
  std::vector<std::size_t> ends;
  handler.handle(views, out, false, &ends);
  ASSERT_EQ(ends.size(), frames.size());
  std::vector<Reply> replies(frames.size());
  for (std::size_t i = 0, begin = 0; i < ends.size(); begin = ends[i++]) {
    ASSERT_EQ(decode_reply(std::string_view(out).substr(begin, ends[i] - begin), replies[i]), "");
  }
  EXPECT_EQ(replies[0].status, WireStatus::found);
  EXPECT_EQ(replies[0].value, "1");
  EXPECT_EQ(replies[1].status, WireStatus::error);
  EXPECT_EQ(replies[1].value, "truncated request: 7 bytes, header is 16");
  EXPECT_EQ(replies[2].status, WireStatus::done);
  EXPECT_EQ(replies[3].value, "bee");
  std::int64_t n = 0;
  ASSERT_TRUE(decode_int64(replies[4].value, &n));
  EXPECT_EQ(n, 5);
  EXPECT_EQ(replies[5].status, WireStatus::error) << "add on a non-counter";
  EXPECT_EQ(replies[6].status, WireStatus::absent);
  EXPECT_EQ(replies[8].status, WireStatus::absent) << "reset forgot the put";
  // hello: digest, keys, value size, counters, then the workload's name.
  std::string hello;
  for (const std::uint64_t word : {d.digest(), std::uint64_t{1}, std::uint64_t{1}, std::uint64_t{1}}) {
    hello += encode_int64(static_cast<std::int64_t>(word));
  }
  EXPECT_EQ(replies[9].value, hello + "tiny");
  EXPECT_EQ(handler.bad_frames(), 1u);
}

// ----- end to end, both transports -----


class SocketManagerRun : public ::testing::TestWithParam<const char*>, protected testing::TestCell {
 protected:
  SocketManagerRun() {
    settings.duration = 400ms;
    settings.strategy_options.given["--transport"] = GetParam();
    settings.strategy_options.op_timeout = 1000ms;
  }
  void use(const char* name, std::uint64_t keys = 2'000) { TestCell::use(name, keys); }
  CellResult run(int procs, const StrategyInfo& info = *find_strategy("socket-manager")) {
    return TestCell::run(info, procs);
  }
  void TearDown() override {
    const std::string& prefix = settings.strategy_options.object_prefix;
    EXPECT_EQ(testing::os_objects_with(prefix), std::vector<std::string>{});
    EXPECT_EQ(testing::tmp_entries_with(prefix), std::vector<std::string>{}) << "socket directory left behind";
  }
};

TEST_P(SocketManagerRun, ReadAndMixedReadOnlyValidValuesAndCounterLosesNothing) {
  for (const char* name : {"read", "mixed", "counter"}) {
    use(name);
    for (int procs : {1, 2, 4}) {
      const CellResult r = run(procs);
      ASSERT_EQ(r.status, CellStatus::ok) << name << " procs " << procs << ": " << r.reason;
      EXPECT_GT(r.ops, 0u);
      EXPECT_EQ(r.check.mismatches, 0u);
      EXPECT_EQ(r.check.lost_updates, 0u);
      ASSERT_EQ(r.helper_pss_kib.size(), 1u);
      EXPECT_GT(r.helper_pss_kib[0], 0) << "the server's memory";
      EXPECT_GT(r.coordinator_pss_kib, 0);
      for (const ProcessFigures& p : r.per_process) EXPECT_GT(p.pss_kib, 0);
      EXPECT_GT(r.setup_ns, 0u);
    }
  }
}

TEST_P(SocketManagerRun, PipelinedRequestsAreMatchedToTheirReplies) {
  settings.strategy_options.given["--pipeline"] = "16";
  for (const char* name : {"update", "counter"}) {
    use(name);
    const CellResult r = run(2);
    ASSERT_EQ(r.status, CellStatus::ok) << r.reason;
    EXPECT_EQ(r.batch, 16u);
    EXPECT_EQ(r.check.mismatches, 0u);
    EXPECT_EQ(r.check.lost_updates, 0u);
  }
}

TEST_P(SocketManagerRun, ReadModifyWriteAddsLoseUpdatesAsManagerProxiesDo) {
  settings.strategy_options.given["--add-mode"] = "rmw";
  settings.duration = 1000ms;
  use("counter");
  const CellResult r = run(4);
  ASSERT_EQ(r.status, CellStatus::ok) << "losing adds without claiming atomicity is the finding: " << r.reason;
  EXPECT_EQ(r.adds, r.ops) << "the counter workload only adds";
  // About one add in ten is lost (4 workers on 2 CPUs), so any run of a few hundred loses some.
  EXPECT_GT(r.check.lost_adds, 0) << "4 processes doing get-then-put on 16 keys must collide; adds " << r.adds;
  EXPECT_LE(r.check.lost_adds, static_cast<std::int64_t>(r.adds));
}

TEST_P(SocketManagerRun, TheServerAnswersAfterABadFrame) {
  use("read", 100);
  auto strategy = make_socket_manager_strategy(settings.strategy_options);
  strategy->prepare(dataset);
  const std::string dir = testing::tmp_entries_with(settings.strategy_options.object_prefix).at(0);
  const std::string path = dir + "/manager.sock";
  {
    if (std::string(GetParam()) == "zmq") {
      zmq::context_t context(1);
      zmq::socket_t dealer(context, zmq::socket_type::dealer);
      dealer.set(zmq::sockopt::linger, 0);
      dealer.set(zmq::sockopt::rcvtimeo, 10'000);  // a hang guard: the answer is immediate
      dealer.connect("ipc://" + path);
      zmq::message_t reply;
      dealer.send(zmq::str_buffer("not a frame"));
      ASSERT_TRUE(dealer.recv(reply));
      Reply r;
      ASSERT_EQ(decode_reply(reply.to_string_view(), r), "");
      EXPECT_EQ(r.status, WireStatus::error);
      dealer.send(zmq::str_buffer("two"), zmq::send_flags::sndmore);
      dealer.send(zmq::str_buffer("frames"));
      ASSERT_TRUE(dealer.recv(reply));
      ASSERT_EQ(decode_reply(reply.to_string_view(), r), "");
      EXPECT_EQ(r.status, WireStatus::error);
    } else {
      // An absurd length: the server replies with an error and closes that connection.
      UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
      sockaddr_un address{};
      address.sun_family = AF_UNIX;
      std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
      ASSERT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
      const std::string absurd = "\xff\xff\xff\xff";
      ASSERT_EQ(::send(fd.get(), absurd.data(), 4, 0), 4);
      char buffer[256];
      const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, MSG_WAITALL);
      ASSERT_GT(n, 16);
      Reply r;
      ASSERT_EQ(decode_reply(std::string_view(buffer + 4, static_cast<std::size_t>(n) - 4), r), "");
      EXPECT_EQ(r.status, WireStatus::error);
      EXPECT_NE(std::string(r.value).find("exceeds"), std::string::npos);
    }
    // Everyone else is still served.
    auto client = strategy->connect(0);
    std::string value;
    EXPECT_TRUE(client->get("0", value));
    EXPECT_FALSE(client->get("1", value));
  }
  strategy->teardown();
}

INSTANTIATE_TEST_SUITE_P(Transports, SocketManagerRun, ::testing::Values("zmq", "uds"),
                         [](const ::testing::TestParamInfo<const char*>& p) { return std::string(p.param); });

// ----- serve and --connect -----

int free_tcp_port() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &size);
  return ntohs(address.sin_port);
}

// `sharebench serve ARGS` in the background, its stderr in a log; killed (ChildProcess) if
// the test ends before it stops it.
class BackgroundServe {
 public:
  BackgroundServe(const testing::ScratchDir& dir, const std::string& name, std::vector<std::string> args)
      : log_(dir.file(name + ".log")) {
    args.insert(args.begin(), {SHAREBENCH_BINARY, "serve"});
    process_ = ChildProcess::spawn([&]() -> int {
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(SHAREBENCH_BINARY, argv.data());
      return 127;
    });
  }

  // Waits until it says it listens; false if it ended first (or did not within 10 s).
  bool listening() {
    for (int i = 0; i < 200; ++i) {
      if (log().find("sharebench serve: listening on ") != std::string::npos) return true;
      if (process_.poll()) return false;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  // Stops it with `signal`; true if it then exited with status 0.
  bool stop(int signal) {
    ::kill(process_.pid(), signal);
    return process_.wait_for(10s) && process_.exited_cleanly();
  }

  std::string log() const { return testing::read_file(log_); }

 private:
  std::string log_;
  ChildProcess process_;
};

TEST(Serve, ARunUsesAServerStartedApartOnLoopback) {
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(free_tcp_port());
  testing::ScratchDir dir;
  BackgroundServe server(dir, "serve", {"--endpoint", endpoint, "--workload", "mixed", "--keys", "3000"});
  ASSERT_TRUE(server.listening()) << server.log();
  ASSERT_NE(server.log().find("sharebench serve: listening on " + endpoint), std::string::npos) << server.log();

  const std::string out = dir.file("run.json");
  const auto r = testing::run_sharebench({"--strategy", "socket-manager", "--connect", endpoint, "--workload",
                                          "mixed", "--keys", "3000", "--procs", "1,2", "--duration", "0.3",
                                          "--out", out});
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  const auto report = nlohmann::json::parse(testing::read_file(out));
  for (const auto& cell : report["benchmarks"]) {
    EXPECT_EQ(cell["status"], "ok") << cell["reason"];
    EXPECT_EQ(cell["check"]["mismatches"], 0);
    EXPECT_EQ(cell["check"]["lost_updates"], 0);
  }
  // Another dataset is refused by name.
  const auto other = testing::run_sharebench({"--strategy", "socket-manager", "--connect", endpoint, "--workload",
                                              "mixed", "--keys", "4000", "--duration", "0.1"});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.out.find("holds another dataset (this cell's vs the server's: keys 4000 vs 3000): start sharebench "
                           "serve with the same --workload, --keys and --value-size"),
            std::string::npos)
      << other.out;
  const auto counter = testing::run_sharebench({"--strategy", "socket-manager", "--connect", endpoint, "--workload",
                                                "counter", "--keys", "3000", "--duration", "0.1"});
  EXPECT_EQ(counter.exit_code, 1);
  EXPECT_NE(counter.out.find("holds another dataset (this cell's vs the server's: workload counter vs mixed; keys 0 vs 3000; "
                             "value size 0 vs 32; counters 16 vs 0)"),
            std::string::npos)
      << counter.out;

  EXPECT_TRUE(server.stop(SIGINT)) << server.log();
  EXPECT_NE(server.log().find("sharebench serve: stopped"), std::string::npos);
}

// Where a serve test listens, by transport: ipc (zmq over a Unix socket), tcp, uds.
struct ServeAt {
  std::vector<std::string> transport;  // the --transport option, if any
  std::string endpoint;
  std::string socket_file;  // "" for tcp
};

ServeAt serve_at(const std::string& kind, const testing::ScratchDir& dir) {
  if (kind == "ipc") return {{}, "ipc://" + dir.file("s.sock"), dir.file("s.sock")};
  if (kind == "uds") return {{"--transport", "uds"}, dir.file("s.sock"), dir.file("s.sock")};
  return {{}, "tcp://127.0.0.1:" + std::to_string(free_tcp_port()), ""};
}

// A run of one tiny cell against the server at `at`: exit 0 if it answered.
testing::CommandResult run_against(const ServeAt& at) {
  std::vector<std::string> args = {"--strategy", "socket-manager", "--connect", at.endpoint, "--keys", "1000",
                                   "--duration", "0.05", "--warmup", "0"};
  args.insert(args.end(), at.transport.begin(), at.transport.end());
  return testing::run_sharebench(args);
}

std::vector<std::string> serve_args(const ServeAt& at) {
  std::vector<std::string> args = {"--endpoint", at.endpoint, "--keys", "1e3"};
  args.insert(args.end(), at.transport.begin(), at.transport.end());
  return args;
}

class ServeEndpoint : public ::testing::TestWithParam<std::string> {};

// ZeroMQ's ipc bind would take the path over from the first server silently: serve refuses
// an endpoint a live server holds, on every transport, and the first one keeps serving.
TEST_P(ServeEndpoint, ASecondServerIsRefusedAndTheFirstAnswersAndRemovesItsSocketWhenStopped) {
  testing::ScratchDir dir;
  const ServeAt at = serve_at(GetParam(), dir);
  BackgroundServe first(dir, "first", serve_args(at));
  ASSERT_TRUE(first.listening()) << first.log();

  std::vector<std::string> second = serve_args(at);
  second.insert(second.begin(), "serve");
  const auto refused = testing::run_sharebench(second);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(refused.err, "sharebench: serve: " + at.endpoint +
                             " is held by a live server; stop it or choose another --endpoint\n");

  const auto client = run_against(at);
  EXPECT_EQ(client.exit_code, 0) << client.out << client.err;
  EXPECT_NE(client.out.find(" ok\n"), std::string::npos) << client.out;

  EXPECT_TRUE(first.stop(SIGTERM)) << first.log();
  if (!at.socket_file.empty()) {
    EXPECT_FALSE(std::filesystem::exists(at.socket_file));
  }
}

// The zmq server waits for requests in a blocking receive that times out to look at stop_fd:
// a client that never lets it go idle must not keep it from stopping. Asked through stop_fd
// alone, as a run asks its server, with no signal to interrupt the wait.
TEST_P(ServeEndpoint, AServerStopsWhenAskedWhileAClientKeepsItBusy) {
  testing::ScratchDir dir;
  const ServeAt at = serve_at(GetParam(), dir);
  const Transport transport = GetParam() == "uds" ? Transport::uds : Transport::zmq;
  int stop[2], ready[2], busy[2];
  ASSERT_EQ(::pipe(stop), 0);
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(busy), 0);
  const UniqueFd stop_read(stop[0]), stop_write(stop[1]), ready_read(ready[0]), ready_write(ready[1]),
      busy_read(busy[0]), busy_write(busy[1]);
  Dataset d;
  d.set_workload("tiny");
  d.add("a", "1");
  ChildProcess server = ChildProcess::spawn([&]() -> int {
    Dictionary dict(d);
    Handler handler(dict);
    const ServerEnd end = run_server(handler, transport, at.endpoint, stop_read.get(), [&](const std::string& error) {
      if (error.empty() && ::write(ready_write.get(), "r", 1) != 1) ::_exit(3);
    });
    return end == ServerEnd::stopped ? 0 : 2;
  });
  char byte = 0;
  ASSERT_EQ(::read(ready_read.get(), &byte, 1), 1) << "the server did not listen";
  ChildProcess client = ChildProcess::spawn([&]() -> int {
    SocketManagerClient c(connect_to(transport, at.endpoint, 500ms), 16, AddMode::atomic);
    std::vector<Op> ops(16);
    for (Op& op : ops) op.key = "a";
    for (std::uint64_t batches = 0;; ++batches) {
      try {
        c.execute(ops);
      } catch (const Error&) {
        return 0;  // the server stopped
      }
      if (batches == 100 && ::write(busy_write.get(), "b", 1) != 1) return 1;
    }
  });
  ASSERT_EQ(::read(busy_read.get(), &byte, 1), 1) << "the client never completed 100 batches";
  ASSERT_EQ(::write(stop_write.get(), "s", 1), 1);
  ASSERT_TRUE(server.wait_for(5s)) << "the server did not stop within 5 s while the client kept it busy";
  EXPECT_TRUE(server.exited_cleanly()) << server.how_ended();
  EXPECT_TRUE(client.wait_for(10s));
}

INSTANTIATE_TEST_SUITE_P(Transports, ServeEndpoint, ::testing::Values("ipc", "tcp", "uds"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

class ServeSocketFile : public ::testing::TestWithParam<std::string> {};

// A socket file nobody listens at (its server was killed) is taken over.
TEST_P(ServeSocketFile, AStaleSocketFileIsTakenOver) {
  testing::ScratchDir dir;
  const ServeAt at = serve_at(GetParam(), dir);
  {
    UniqueFd stale(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", at.socket_file.c_str());
    ASSERT_EQ(::bind(stale.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  }  // closed without listening: the file stays, with no server behind it
  ASSERT_TRUE(std::filesystem::is_socket(at.socket_file));

  BackgroundServe server(dir, "serve", serve_args(at));
  ASSERT_TRUE(server.listening()) << server.log();
  const auto client = run_against(at);
  EXPECT_EQ(client.exit_code, 0) << client.out << client.err;
  EXPECT_TRUE(server.stop(SIGINT)) << server.log();
  EXPECT_FALSE(std::filesystem::exists(at.socket_file));
}

// A file that is not a socket is nobody's server: it is left alone, and serve says so.
TEST_P(ServeSocketFile, AFileThatIsNotASocketIsRefused) {
  testing::ScratchDir dir;
  const ServeAt at = serve_at(GetParam(), dir);
  std::ofstream(at.socket_file) << "data";
  std::vector<std::string> args = serve_args(at);
  args.insert(args.begin(), "serve");
  const auto r = testing::run_sharebench(args);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sharebench: serve: --endpoint " + at.endpoint + ": '" + at.socket_file +
                       "' exists and is not a socket\n");
  EXPECT_EQ(testing::read_file(at.socket_file), "data");
}

INSTANTIATE_TEST_SUITE_P(Transports, ServeSocketFile, ::testing::Values("ipc", "uds"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(Serve, ANonLoopbackEndpointIsWarnedAbout) {
  // Validation only: the warning is given before anything listens (bad --keys stops the run).
  const auto r = testing::run_sharebench({"--strategy", "socket-manager", "--endpoint", "tcp://0.0.0.0:1",
                                          "--keys", "0"});
  EXPECT_EQ(r.exit_code, 2);
  const auto warned = testing::run_sharebench({"--strategy", "socket-manager", "--endpoint", "tcp://0.0.0.0:" +
                                               std::to_string(free_tcp_port()), "--keys", "100", "--duration",
                                               "0.05", "--warmup", "0"});
  EXPECT_NE(warned.out.find("***WARNING*** socket-manager listens on tcp://0.0.0.0:"), std::string::npos)
      << warned.out << warned.err;
  EXPECT_NE(warned.out.find("no authentication"), std::string::npos);
}

}  // namespace
}  // namespace sharebench
