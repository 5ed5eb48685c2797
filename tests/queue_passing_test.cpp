// queue-passing beyond the map contract every writable strategy keeps (contract_test): the
// owner process, the fixed message size, the message codec and what it refuses, the queues'
// names, modes and cleanup, and failures that must end in an error, never a hang: a dead
// owner, a worker that stops reading, a process that dies holding a queue lock.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "strategies/queue_passing/message.hpp"
#include "strategies/queue_passing/queue_passing.hpp"
#include "strategies/queue_passing/queues.hpp"
#include "strategies/queue_passing/tuning.hpp"
#include "tests/test_support.hpp"

namespace sharebench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace qp = queue_passing;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::uint64_t figure(const Client& client, const std::string& name) {
  for (const auto& [n, v] : client.figures()) {
    if (n == name) return v;
  }
  ADD_FAILURE() << "no figure " << name;
  return 0;
}

class QueuePassingTest : public ::testing::Test {
 protected:
  QueuePassingTest() { options.object_prefix = testing::test_object_prefix(); }
  void TearDown() override {
    clients.clear();
    if (strategy) strategy->teardown();
    EXPECT_EQ(testing::os_objects_with(options.object_prefix + "-"), std::vector<std::string>{});
    EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1) << "a child process was left unreaped";
  }
  Client& prepared(const Dataset& d) {
    strategy = make_queue_passing_strategy(options);
    strategy->prepare(d);
    return connect(0);
  }
  Client& connect(int worker) {
    clients.push_back(strategy->connect(worker));
    return *clients.back();
  }
  std::string shm_path(const std::string& suffix) const { return "/dev/shm/" + options.object_prefix + suffix; }

  StrategyOptions options;
  std::unique_ptr<Strategy> strategy;
  std::vector<std::unique_ptr<Client>> clients;
};

TEST_F(QueuePassingTest, LargeValueWithinTheFixedSizeAndAPutBeyondItIsRefused) {
  std::string big(60'000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 + 7);
  Dataset d;
  d.add("big", big);
  Client& c = prepared(d);
  EXPECT_EQ(strategy->helper_processes().size(), 1u) << "the owner";
  EXPECT_EQ(strategy->helper_failure(), "");
  std::string v;
  ASSERT_TRUE(c.get("big", v));
  EXPECT_EQ(v, big);
  big[12'345] ^= 1;
  c.put("big", big);
  ASSERT_TRUE(c.get("big", v));
  EXPECT_EQ(v, big);
  // The message holds the longest key plus the longest value: 3 + 60,000 bytes of payload.
  try {
    c.put("big", big + "xyz1");
    FAIL() << "a put larger than the fixed message size was accepted";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "does not fit a message (60003 payload bytes")) << e.what();
  }
  ASSERT_TRUE(c.get("big", v));  // nothing was truncated or half-applied
  EXPECT_EQ(v, big);
}

TEST_F(QueuePassingTest, ACounterIsStoredAsEightBytesAndRefusesNonCounters) {
  Dataset d;
  d.add("value", std::string(32, 'v'));
  d.add_counter("hits");
  Client& c = prepared(d);
  c.add("hits", 3);  // adding itself is in contract_test; here: how a counter is stored
  std::string v;
  ASSERT_TRUE(c.get("hits", v));
  std::int64_t stored = 0;
  ASSERT_EQ(v.size(), sizeof stored);
  std::memcpy(&stored, v.data(), sizeof stored);
  EXPECT_EQ(stored, 3);
  try {
    c.add("value", 1);
    FAIL() << "add on a 32-byte value succeeded";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "add on key 'value', which holds a value that is not a counter")) << e.what();
  }
}

TEST_F(QueuePassingTest, BatchesKeepTheWorkersOrderAndMatchRepliesById) {
  Dataset d;
  d.add("k", "v0");
  d.add_counter("n");
  Client& c = prepared(d);
  // More operations than replies a client keeps in flight, puts between gets of the same key.
  constexpr int kRounds = 100;
  std::vector<std::string> values;
  for (int i = 0; i < kRounds; ++i) values.push_back("v" + std::to_string(i + 1));
  std::vector<Op> ops;
  for (int i = 0; i < kRounds; ++i) {
    Op put;
    put.kind = OpKind::put;
    put.key = "k";
    put.value = values[static_cast<std::size_t>(i)];
    Op get;
    get.kind = OpKind::get;
    get.key = "k";
    Op add;
    add.kind = OpKind::add;
    add.key = "n";
    add.delta = 1;
    ops.push_back(std::move(put));
    ops.push_back(std::move(get));
    ops.push_back(std::move(add));
  }
  ASSERT_GT(ops.size(), 2 * qp::kReplyDepth);
  c.execute(ops);
  for (int i = 0; i < kRounds; ++i) {
    const Op& get = ops[static_cast<std::size_t>(3 * i + 1)];
    ASSERT_TRUE(get.found);
    EXPECT_EQ(get.result, values[static_cast<std::size_t>(i)]) << "round " << i;
    EXPECT_EQ(ops[static_cast<std::size_t>(3 * i + 2)].counter, i + 1);
  }
}

TEST_F(QueuePassingTest, AnOversizeDatasetIsRejectedInPrepareWithItsMessage) {
  Dataset d;
  d.add("k", std::string(70'000, 'x'));
  strategy = make_queue_passing_strategy(options);
  try {
    strategy->prepare(d);
    FAIL() << "prepare() accepted a value larger than a queue message";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "queue-passing: the dataset needs messages of 70001 payload bytes (longest key 1 + longest value "
              "70000), over the 65536 a queue message may carry; use a smaller --value-size");
  }
  EXPECT_EQ(strategy->helper_processes(), std::vector<pid_t>{});
}

TEST_F(QueuePassingTest, APrepareThatThrowsHalfwayLeavesNothingAndRemovesNothingItDidNotCreate) {
  // Somebody else's object already has the request queue's name: prepare() must fail on it,
  // clean up what it made (its shared state) and leave that object alone.
  const std::string name = "/" + options.object_prefix + "-qp-req";
  const int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  ::close(fd);
  Dataset d;
  d.add("a", "1");
  strategy = make_queue_passing_strategy(options);
  try {
    strategy->prepare(d);
    FAIL() << "prepare() succeeded over an existing queue name";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "cannot create queue '" + options.object_prefix + "-qp-req'")) << e.what();
  }
  strategy->teardown();
  struct stat st {};
  EXPECT_EQ(::stat(shm_path("-qp-req").c_str(), &st), 0) << "teardown removed an object it did not create";
  ::shm_unlink(name.c_str());
  EXPECT_EQ(strategy->helper_processes(), std::vector<pid_t>{});
}

TEST_F(QueuePassingTest, QueuesAreOwnerOnlyNamedAfterTheRunAndRemoved) {
  Dataset d;
  d.add("a", "1");
  prepared(d);
  for (const char* suffix : {"-qp-req", "-qp-rep-0"}) {
    struct stat st {};
    ASSERT_EQ(::stat(shm_path(suffix).c_str(), &st), 0) << suffix;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << suffix;
  }
  EXPECT_GT(strategy->shared_bytes(), 0u);
  clients.clear();  // a client that ends removes its own reply queue
  struct stat st {};
  EXPECT_NE(::stat(shm_path("-qp-rep-0").c_str(), &st), 0);
  EXPECT_EQ(::stat(shm_path("-qp-req").c_str(), &st), 0);
}

TEST_F(QueuePassingTest, TeardownRemovesTheReplyQueueOfAWorkerThatDied) {
  Dataset d;
  d.add("a", "1");
  prepared(d);
  const pid_t child = ::fork();
  if (child == 0) {
    auto c = strategy->connect(3);
    std::string v;
    const bool ok = c->get("a", v) && v == "1";
    ::_exit(ok ? 0 : 1);  // dies without destroying its client, as a killed worker would
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  struct stat st {};
  EXPECT_EQ(::stat(shm_path("-qp-rep-3").c_str(), &st), 0);
  // TearDown(): teardown() removes it; nothing is left.
}

TEST_F(QueuePassingTest, TheOwnerKeepsServingWhenAWorkerStopsReadingItsReplies) {
  Dataset d;
  d.add("a", "1");
  Client& c = prepared(d);
  connect(1);  // worker 1 has a reply queue but never reads it
  qp::Queue requests = qp::Queue::open(options.object_prefix + "-qp-req");
  std::vector<char> message(qp::kHeaderSize + 16);
  constexpr int kSent = 100;
  for (int i = 0; i < kSent; ++i) {
    const std::size_t n = qp::encode(message.data(), qp::MessageKind::get, qp::Status::ok, 1,
                                     static_cast<std::uint64_t>(i + 1), "a", {});
    ASSERT_TRUE(requests.try_send(message.data(), n));
  }
  const auto start = Clock::now();
  std::string v;
  ASSERT_TRUE(c.get("a", v));
  EXPECT_EQ(v, "1");
  // The owner waits kReplyDeadline once, then drops the rest without waiting: waiting for each
  // dropped reply would take kDropped times as long, twice this bound.
  constexpr int kDropped = kSent - static_cast<int>(qp::kReplyDepth);
  EXPECT_LT(Clock::now() - start, kDropped * qp::kReplyDeadline / 2) << "the owner waited on the full queue for every reply";
  EXPECT_EQ(figure(c, "owner_dropped_replies"), static_cast<std::uint64_t>(kDropped));
}

TEST_F(QueuePassingTest, MalformedRequestsAreCountedAndAnsweredNeverApplied) {
  Dataset d;
  d.add("a", "1");
  Client& c = prepared(d);
  qp::Queue requests = qp::Queue::open(options.object_prefix + "-qp-req");
  alignas(8) char m[qp::kHeaderSize + 16];
  // Shorter than a header.
  ASSERT_TRUE(requests.try_send(m, 10));
  // A put whose header claims more bytes than were sent, from worker 0, request id 555.
  std::size_t n = qp::encode(m, qp::MessageKind::put, qp::Status::ok, 0, 555, "a", "evil");
  ASSERT_TRUE(requests.try_send(m, n - 2));
  // An unknown kind, from a worker that has no reply queue (the error reply is dropped).
  n = qp::encode(m, qp::MessageKind::get, qp::Status::ok, 5, 2, "a", {});
  m[0] = 9;
  ASSERT_TRUE(requests.try_send(m, n));
  // A get with a value, from worker 0, request id 777.
  n = qp::encode(m, qp::MessageKind::get, qp::Status::ok, 0, 777, "a", "x");
  ASSERT_TRUE(requests.try_send(m, n));
  try {
    std::string v;
    c.get("a", v);
    FAIL() << "the owner's malformed-request answers went unnoticed";
  } catch (const Error& e) {
    // The first "malformed" answer reaches worker 0 before the reply to its get.
    EXPECT_EQ(std::string(e.what()),
              "queue-passing: the owner answered request 555, which it found malformed, but no operation is "
              "waiting for it");
  }
  Client& other = connect(2);
  std::string v;
  ASSERT_TRUE(other.get("a", v));  // queued after the four: they have all been handled
  EXPECT_EQ(v, "1") << "a malformed put was applied";
  EXPECT_EQ(figure(c, "owner_malformed_requests"), 4u);
  EXPECT_EQ(figure(c, "owner_dropped_replies"), 1u);  // the answer to worker 5, which has no queue
}

TEST_F(QueuePassingTest, AKilledOwnerFailsWaitingClientsWithinTheOpTimeout) {
  options.op_timeout = 300ms;
  Dataset d;
  d.add("a", "1");
  Client& c = prepared(d);
  std::string v;
  ASSERT_TRUE(c.get("a", v));
  const std::vector<pid_t> owner = strategy->helper_processes();
  ASSERT_EQ(owner.size(), 1u);
  ASSERT_EQ(::kill(owner[0], SIGKILL), 0);
  auto start = Clock::now();
  Clock::duration waited{};
  try {
    c.get("a", v);
    FAIL() << "a get answered by a dead owner";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "queue-passing: no reply from the owner within 300 ms");
  }
  waited = Clock::now() - start;
  EXPECT_GE(waited, options.op_timeout) << "gave up before the op timeout";
  EXPECT_LT(waited, options.op_timeout + 1s);
  EXPECT_EQ(strategy->helper_failure(), "owner exited: killed by signal 9 (SIGKILL)");
  // One-way puts are taken until the request queue is full, then fail the same way.
  start = Clock::now();
  try {
    for (int i = 0; i < 100'000; ++i) c.put("a", "2");
    FAIL() << "puts to a dead owner never stopped";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "the request queue stayed full for 300 ms")) << e.what();
  }
  waited = Clock::now() - start;
  EXPECT_GE(waited, options.op_timeout) << "gave up before the op timeout";
  EXPECT_LT(waited, options.op_timeout + 1s);
  EXPECT_GT(figure(c, "queue_full_waits"), 0u);
}

TEST_F(QueuePassingTest, AProcessThatDiesHoldingAQueueLockBreaksTheQueueInsteadOfHangingIt) {
  qp::Queue q = qp::Queue::create(options.object_prefix + "-qp-lock", 8, 64);
  const pid_t holder = ::fork();
  if (holder == 0) {
    ::pthread_mutex_lock(q.native_lock());  // then dies holding it, as if killed inside a send
    ::_exit(0);
  }
  ASSERT_EQ(::waitpid(holder, nullptr, 0), holder);
  // Two more processes, one after the other: each must fail fast, not block on the lock.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const pid_t user = ::fork();
    if (user == 0) {
      ::alarm(5);  // a hang becomes SIGALRM, not a stuck test
      try {
        q.try_send("x", 1);
      } catch (const Error& e) {
        ::_exit(contains(e.what(), "a process died inside an operation on it") ? 0 : 2);
      }
      ::_exit(1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(user, &status, 0), user);
    ASSERT_TRUE(WIFEXITED(status)) << "attempt " << attempt << " was killed by signal " << WTERMSIG(status);
    EXPECT_EQ(WEXITSTATUS(status), 0) << "attempt " << attempt;
  }
}

TEST_F(QueuePassingTest, BoostQueueIsFifoAcrossItsCircularIndex) {
  // The owner applies requests in queue order, and the final-state check relies on it: every
  // message a worker sent before exiting is taken before the checker's. Boost keeps equal
  // priorities in insertion order; check it across many wrap-arounds of its circular index.
  qp::Queue q = qp::Queue::create(options.object_prefix + "-qp-fifo", 8, 16);
  std::uint64_t next_in = 0, next_out = 0;
  for (int round = 0; round < 2000; ++round) {
    const int sends = 1 + round % 7;
    for (int i = 0; i < sends && q.try_send(&next_in, sizeof next_in); ++i) ++next_in;
    const int receives = 1 + (round * 5) % 6;
    for (int i = 0; i < receives; ++i) {
      std::uint64_t got = 0;
      std::size_t received = 0;
      char buffer[16];
      if (!q.try_receive(buffer, sizeof buffer, received)) break;
      ASSERT_EQ(received, sizeof got);
      std::memcpy(&got, buffer, sizeof got);
      ASSERT_EQ(got, next_out++) << "round " << round;
    }
  }
  EXPECT_GT(next_out, 5000u);
}

// ----- the codec -----

constexpr std::size_t kCapacity = 64;

struct Encoded {
  alignas(8) char bytes[qp::kHeaderSize + kCapacity + 16] = {};
  std::size_t size = 0;
  qp::MessageHeader& header() { return *reinterpret_cast<qp::MessageHeader*>(bytes); }
};

Encoded encoded(qp::MessageKind kind, std::string_view key, std::string_view value, std::uint32_t worker = 3,
                qp::Status status = qp::Status::ok) {
  Encoded e;
  e.size = qp::encode(e.bytes, kind, status, worker, 42, key, value);
  return e;
}

qp::Malformed request(Encoded& e, qp::Message& m) { return qp::decode_request(e.bytes, e.size, kCapacity, m); }

TEST(QueuePassingCodec, RequestsAndRepliesRoundTrip) {
  qp::Message m;
  Encoded put = encoded(qp::MessageKind::put, std::string("k\0", 2), std::string("\0v", 2));
  ASSERT_EQ(request(put, m), qp::Malformed::none);
  EXPECT_EQ(m.kind, qp::MessageKind::put);
  EXPECT_EQ(m.worker, 3u);
  EXPECT_EQ(m.request_id, 42u);
  EXPECT_EQ(m.key, std::string("k\0", 2));
  EXPECT_EQ(m.value, std::string("\0v", 2));
  Encoded reply = encoded(qp::MessageKind::reply, {}, "value", 3, qp::Status::absent);
  ASSERT_EQ(qp::decode_reply(reply.bytes, reply.size, kCapacity, m), qp::Malformed::none);
  EXPECT_EQ(m.status, qp::Status::absent);
  EXPECT_EQ(m.value, "value");
  Encoded full = encoded(qp::MessageKind::put, std::string(32, 'k'), std::string(32, 'v'));
  EXPECT_EQ(request(full, m), qp::Malformed::none);  // exactly the capacity
}

TEST(QueuePassingCodec, MalformedRequestsAreRefusedWithTheReason) {
  qp::Message m;
  Encoded e = encoded(qp::MessageKind::get, "key", {});
  EXPECT_EQ(qp::decode_request(e.bytes, qp::kHeaderSize - 1, kCapacity, m), qp::Malformed::too_short);
  EXPECT_EQ(qp::decode_request(e.bytes, e.size - 1, kCapacity, m), qp::Malformed::sizes_disagree);
  EXPECT_EQ(qp::decode_request(e.bytes, e.size + 1, kCapacity, m), qp::Malformed::sizes_disagree);
  e.header().key_size = 0xffffffffu;  // would wrap a 32-bit sum
  e.header().value_size = 4;
  EXPECT_EQ(request(e, m), qp::Malformed::sizes_disagree);

  Encoded big = encoded(qp::MessageKind::put, std::string(33, 'k'), std::string(32, 'v'));
  EXPECT_EQ(request(big, m), qp::Malformed::too_large);

  Encoded kind = encoded(qp::MessageKind::get, "key", {});
  kind.header().kind = 0;
  EXPECT_EQ(request(kind, m), qp::Malformed::bad_kind);
  kind.header().kind = static_cast<std::uint8_t>(qp::MessageKind::reply);
  EXPECT_EQ(request(kind, m), qp::Malformed::bad_kind);

  Encoded worker = encoded(qp::MessageKind::get, "key", {}, qp::kMaxWorkers);
  EXPECT_EQ(request(worker, m), qp::Malformed::bad_worker);

  Encoded get_with_value = encoded(qp::MessageKind::get, "key", "v");
  EXPECT_EQ(request(get_with_value, m), qp::Malformed::bad_fields);
  EXPECT_EQ(m.worker, 3u);  // the header is still read, to address the error reply
  EXPECT_EQ(m.request_id, 42u);
  Encoded short_delta = encoded(qp::MessageKind::add, "key", "1234567");
  EXPECT_EQ(request(short_delta, m), qp::Malformed::bad_fields);
  Encoded stop_with_key = encoded(qp::MessageKind::stop, "key", {});
  EXPECT_EQ(request(stop_with_key, m), qp::Malformed::bad_fields);
  Encoded with_status = encoded(qp::MessageKind::get, "key", {}, 3, qp::Status::absent);
  EXPECT_EQ(request(with_status, m), qp::Malformed::bad_fields);
  Encoded reserved = encoded(qp::MessageKind::get, "key", {});
  reserved.header().reserved = 1;
  EXPECT_EQ(request(reserved, m), qp::Malformed::bad_fields);
  EXPECT_STREQ(qp::describe(qp::Malformed::sizes_disagree), "key and value sizes disagree with the bytes received");
}

TEST(QueuePassingCodec, MalformedRepliesAreRefused) {
  qp::Message m;
  Encoded not_reply = encoded(qp::MessageKind::get, "key", {});
  EXPECT_EQ(qp::decode_reply(not_reply.bytes, not_reply.size, kCapacity, m), qp::Malformed::bad_kind);
  Encoded with_key = encoded(qp::MessageKind::reply, "key", "value");
  EXPECT_EQ(qp::decode_reply(with_key.bytes, with_key.size, kCapacity, m), qp::Malformed::bad_fields);
  Encoded status = encoded(qp::MessageKind::reply, {}, "value");
  status.header().status = 9;
  EXPECT_EQ(qp::decode_reply(status.bytes, status.size, kCapacity, m), qp::Malformed::bad_fields);
  Encoded truncated = encoded(qp::MessageKind::reply, {}, "value");
  EXPECT_EQ(qp::decode_reply(truncated.bytes, truncated.size - 1, kCapacity, m), qp::Malformed::sizes_disagree);
}

TEST(QueuePassingCodec, PayloadCapacityIsTheLongestKeyPlusTheLongestValueOrACounter) {
  Dataset d;
  d.add("12345", std::string(3, 'v'));
  EXPECT_EQ(qp::payload_capacity_for(d.max_key_size(), d.max_value_size()), 5u + 8u);  // a counter's 8 bytes beat a 3-byte value
  d.add("1", std::string(40, 'v'));
  d.set_max_put_value_size(50);
  EXPECT_EQ(qp::payload_capacity_for(d.max_key_size(), d.max_value_size()), 5u + 50u);
}

}  // namespace
}  // namespace sharebench
