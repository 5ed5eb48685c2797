// queue-passing against the raw Boost.Interprocess message_queue it is built on, across two
// processes (fork), as the strategy runs: the owner is a forked process, not a thread.
//
//   BM_RawOneWay/M         one process sends put-sized messages, the other receives them
//   BM_RawRoundTrip/M/N    N get-sized requests sent, then N reply-sized replies received
//                          (N = 1: a plain request/reply round trip; N = 64: pipelined as
//                          the strategy's default batch)
//   M = 0 (blocking):  Boost's blocking send/receive on the queue as shipped: its manual's way.
//   M = 1 (polled):    try_send/try_receive, polling then sleeping on a futex word, exactly as
//                      the strategy waits (wakeup.hpp, tuning.hpp), on the queue as shipped.
//   M = 2 (robust):    as 1, with the robust lock the strategy gives its queues (queues.cpp):
//                      the strategy's queue operations minus the dictionary and the codec.
//   BM_QueuePassingPut    the strategy's client put() against its owner
//   BM_QueuePassingGet/N  the strategy's client, batches of N gets (execute())
//   BM_DictionaryGet/K    the owner's dictionary lookup alone, in this process, K keys
//
// Placement decides these figures more than anything else on a small machine: two processes on
// one CPU hand the queue's cache lines over for free and pay a context switch per wake-up; on
// two CPUs they bounce the lines and wake each other across cores. SHAREBENCH_BENCH_CPUS=A,B
// pins the sending (client) process to CPU A and the receiving one (owner) to CPU B, for every
// benchmark here alike; unset, the scheduler places them.
//
// Messages have the size the strategy uses for the `write` workload (100,000 decimal keys,
// 32-byte values: queue message size = header + longest key + value), in queues of the
// strategy's depths. Items per second are messages (or operations) per second. The sender's
// loop ends up to one queue depth ahead of the receiver: under 0.1% of the iterations.
#include <benchmark/benchmark.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <memory>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "common/child_process.hpp"
#include "common/cpu.hpp"
#include "common/os.hpp"
#include "harness/workload.hpp"
#include "strategies/common/dictionary.hpp"
#include "strategies/queue_passing/message.hpp"
#include "strategies/queue_passing/queue_passing.hpp"
#include "strategies/queue_passing/queues.hpp"
#include "strategies/queue_passing/tuning.hpp"
#include "strategies/queue_passing/wakeup.hpp"

namespace sharebench {
namespace {

using namespace queue_passing;

// Pins this process and `server` as SHAREBENCH_BENCH_CPUS says, for the life of the object.
class Placement {
 public:
  explicit Placement(pid_t server) {
    const char* cpus = std::getenv("SHAREBENCH_BENCH_CPUS");
    int client_cpu = 0, server_cpu = 0;
    if (cpus == nullptr || std::sscanf(cpus, "%d,%d", &client_cpu, &server_cpu) != 2) return;
    ::sched_getaffinity(0, sizeof saved_, &saved_);
    pinned_ = pin_thread(0, client_cpu) && pin_process(server, server_cpu);
  }
  ~Placement() {
    if (pinned_) ::sched_setaffinity(0, sizeof saved_, &saved_);
  }
  Placement(const Placement&) = delete;
  Placement& operator=(const Placement&) = delete;

 private:
  cpu_set_t saved_{};
  bool pinned_ = false;
};

std::string unique_prefix() {
  static int counter = 0;
  return "sharebench-bench-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

struct Data {
  Dataset dataset;
  std::size_t capacity;  // payload bytes, as the strategy sizes them
  std::vector<std::string> keys;  // random keys to ask for, half of them absent

  explicit Data(std::uint64_t keys_count) {
    WorkloadSpec spec = *find_workload("write");
    spec.keys = keys_count;
    dataset = build_dataset(spec);
    capacity = payload_capacity_for(dataset.max_key_size(), dataset.max_value_size());
    std::mt19937_64 rng(1);
    char text[kMaxKeySize];
    for (int i = 0; i < (1 << 16); ++i) keys.emplace_back(text, format_data_key(rng() % keys_count, i & 1, text));
  }
};

const Data& write_data() {
  static const Data d(100'000);
  return d;
}

// The two queues and wake words of a raw benchmark, in the strategy's sizes.
struct Raw {
  const std::size_t message_size = kHeaderSize + write_data().capacity;
  const std::size_t put_size = message_size;          // header + longest key + value
  const std::size_t request_size = kHeaderSize + 6;   // a get: header + a 6-digit key
  const std::size_t reply_size = kHeaderSize + 32;    // its reply: header + value
  const std::string prefix = unique_prefix();
  const int mode;
  Queue requests = Queue::create(request_queue_name(prefix), request_depth_for(message_size), message_size, mode == 2);
  Queue replies = Queue::create(reply_queue_name(prefix, 0), kReplyDepth, message_size, mode == 2);
  Mapping words_area = Mapping::shared_anonymous(3 * sizeof(WakeWord));
  WakeWord* words = new (words_area.data()) WakeWord[3];
  WakeWord& requests_ready = words[0];
  WakeWord& requests_room = words[1];
  WakeWord& replies_ready = words[2];
  const bool polled = mode != 0;

  explicit Raw(std::int64_t mode_arg) : mode(static_cast<int>(mode_arg)) {}

  void send(Queue& q, WakeWord& ready, WakeWord& room, const char* data, std::size_t size) {
    if (!polled) return q.boost_queue().send(data, size, 0);
    const std::size_t depth = q.depth();
    const auto sent = [&] { return q.queued_hint() < depth && q.try_send(data, size); };
    if (q.try_send(data, size)) return notify(ready);
    wait_until(room, sent, kClientSpin, Clock::time_point::max());
    notify(ready);
  }
  std::size_t receive(Queue& q, WakeWord& ready, WakeWord& room, char* buffer, std::chrono::microseconds spin) {
    std::size_t received = 0;
    if (!polled) {
      unsigned int priority = 0;
      q.boost_queue().receive(buffer, message_size, received, priority);
      return received;
    }
    const auto got = [&] { return q.queued_hint() != 0 && q.try_receive(buffer, message_size, received); };
    if (!q.try_receive(buffer, message_size, received)) wait_until(ready, got, spin, Clock::time_point::max());
    notify(room);
    return received;
  }

  // The receiving process: receives until a message of size 0; answers each request with a
  // reply-sized message if `answer`.
  int serve(bool answer) {
    std::vector<char> in(message_size), out(message_size, 'r');
    WakeWord unused;
    for (;;) {
      if (receive(requests, requests_ready, requests_room, in.data(), kOwnerSpin) == 0) return 0;
      if (answer) send(replies, replies_ready, unused, out.data(), reply_size);
    }
  }
};

void BM_RawOneWay(benchmark::State& state) {
  Raw raw(state.range(0));
  ChildProcess receiver = ChildProcess::spawn([&] { return raw.serve(false); });
  const Placement placement(receiver.pid());
  std::vector<char> message(raw.message_size, 'p');
  for (auto _ : state) raw.send(raw.requests, raw.requests_ready, raw.requests_room, message.data(), raw.put_size);
  raw.send(raw.requests, raw.requests_ready, raw.requests_room, message.data(), 0);
  receiver.stop(std::chrono::seconds(5));
  state.SetItemsProcessed(state.iterations());
  state.counters["message_bytes"] = static_cast<double>(raw.put_size);
}
BENCHMARK(BM_RawOneWay)->ArgName("mode")->Arg(0)->Arg(1)->Arg(2)->UseRealTime();

void BM_RawRoundTrip(benchmark::State& state) {
  Raw raw(state.range(0));
  const auto depth = static_cast<std::size_t>(state.range(1));
  ChildProcess server = ChildProcess::spawn([&] { return raw.serve(true); });
  const Placement placement(server.pid());
  std::vector<char> out(raw.message_size, 'g'), in(raw.message_size);
  WakeWord unused;
  for (auto _ : state) {
    for (std::size_t i = 0; i < depth; ++i) {
      raw.send(raw.requests, raw.requests_ready, raw.requests_room, out.data(), raw.request_size);
    }
    for (std::size_t i = 0; i < depth; ++i) raw.receive(raw.replies, raw.replies_ready, unused, in.data(), kClientSpin);
  }
  raw.send(raw.requests, raw.requests_ready, raw.requests_room, out.data(), 0);
  server.stop(std::chrono::seconds(5));
  state.SetItemsProcessed(state.iterations() * state.range(1));
}
BENCHMARK(BM_RawRoundTrip)->ArgNames({"mode", "depth"})->ArgsProduct({{0, 1, 2}, {1, 64}})->UseRealTime();

// The strategy with its owner, preloaded with the write workload's 100,000 keys.
struct Prepared {
  std::unique_ptr<Strategy> strategy;
  std::unique_ptr<Client> client;
  Prepared() {
    StrategyOptions options;
    options.object_prefix = unique_prefix();
    strategy = make_queue_passing_strategy(options);
    strategy->prepare(write_data().dataset);
    placement = std::make_unique<Placement>(strategy->helper_processes().at(0));
    client = strategy->connect(0);
  }
  std::unique_ptr<Placement> placement;
  ~Prepared() {
    client.reset();
    strategy->teardown();
  }
};

void BM_QueuePassingPut(benchmark::State& state) {
  Prepared p;
  const auto& keys = write_data().keys;
  const std::string value(32, 'v');
  std::size_t i = 0;
  for (auto _ : state) {
    p.client->put(keys[i], value);
    i = (i + 1) & (keys.size() - 1);
  }
  std::string sink;
  p.client->get(keys[0], sink);  // everything sent is applied before this returns
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QueuePassingPut)->UseRealTime();

void BM_QueuePassingGet(benchmark::State& state) {
  Prepared p;
  const auto& keys = write_data().keys;
  std::vector<Op> ops(static_cast<std::size_t>(state.range(0)));
  for (Op& op : ops) op.buffer.reserve(64);
  std::size_t next = 0;
  for (auto _ : state) {
    for (Op& op : ops) {
      op.key = keys[next];
      next = (next + 1) & (keys.size() - 1);
    }
    p.client->execute(ops);
    benchmark::DoNotOptimize(ops.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_QueuePassingGet)->Arg(1)->Arg(64)->UseRealTime();

void BM_DictionaryGet(benchmark::State& state) {
  WorkloadSpec spec = *find_workload("read");
  spec.keys = static_cast<std::uint64_t>(state.range(0));
  const Dataset dataset = build_dataset(spec);
  Dictionary dictionary(dataset);
  std::mt19937_64 rng(1);
  std::vector<std::string> keys;
  char text[kMaxKeySize];
  for (int i = 0; i < (1 << 16); ++i) keys.emplace_back(text, format_data_key(rng() % spec.keys, i & 1, text));
  std::size_t i = 0;
  for (auto _ : state) {
    std::string_view value;
    benchmark::DoNotOptimize(dictionary.get(keys[i], value));
    benchmark::DoNotOptimize(value);
    i = (i + 1) & (keys.size() - 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DictionaryGet)->Arg(100'000)->Arg(1'000'000);

}  // namespace
}  // namespace sharebench
