#include "harness/limits.hpp"

#include <poll.h>
#include <semaphore.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>
#include <zmq.hpp>

#include "common/child_process.hpp"
#include "common/cpu.hpp"
#include "common/hash.hpp"
#include "common/hash_table.hpp"
#include "common/os.hpp"
#include "harness/runner.hpp"
#include "harness/statistics.hpp"
#include "strategies/queue_passing/message.hpp"
#include "strategies/queue_passing/owner.hpp"
#include "strategies/queue_passing/queues.hpp"
#include "strategies/queue_passing/tuning.hpp"
#include "strategies/queue_passing/wakeup.hpp"

namespace sharebench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// After the processes are ready (their pages mapped), a warm-up, then the median of several
// short windows, the processes placed as the run places a cell's (unpinned: wherever the
// scheduler puts them, as it puts the cell's). The median, not the best: a round trip's rate
// varies window to window with where and how soon each end is woken (3x between 15 ms windows
// on a 2-vCPU VM here), so the best window is a lucky one that no cell, measured over seconds,
// can sustain; the median is what the mechanism typically does, and a burst of interference in
// one window does not move it.
constexpr milliseconds kWarmup{20};
constexpr int kWindows = 7;
constexpr milliseconds kWindow{15};
// How many times more a floor is measured when a cell beats it (LimitMeter::limit_of).
constexpr int kRemeasures = 2;
constexpr milliseconds kReadyTimeout{5'000};
// The frames socket-manager sends: a 16-byte request header and a key; a 12-byte reply header
// and the value. Streams carry each behind a 4-byte length.
constexpr std::size_t kRequestBytes = 16 + 7;
constexpr std::size_t kReplyHeaderBytes = 12;

enum class Phase : std::uint32_t { start, run, stop };

struct alignas(64) OpCount {
  std::atomic<std::uint64_t> ops{0};
};

// Shared by the parent and the processes of one floor.
struct Control {
  std::atomic<Phase> phase{Phase::start};
  std::atomic<std::uint32_t> ready{0};
  std::atomic<std::uint32_t> server_ready{0};
};

class Floor {
 public:
  Floor(int procs, const RunSettings& settings)
      : procs_(procs),
        settings_(settings),
        area_(Mapping::shared_anonymous(sizeof(Control) + sizeof(OpCount) * static_cast<std::size_t>(procs) + 64)),
        control_(*new (area_.data()) Control),
        counts_(new (area_.data() + 64) OpCount[static_cast<std::size_t>(procs)]),
        cpus_(allowed_cpus()) {}

  bool running() const { return control_.phase.load(std::memory_order_relaxed) == Phase::run; }
  // The echo process calls this once it listens; measuring starts after it.
  void server_listens() { control_.server_ready.store(1, std::memory_order_release); }

  // Starts a helper (an echo process) before the clients, placed first as the runner places them.
  template <typename Body>
  void start_server(Body body) {
    server_ = ChildProcess::spawn(body);
    place(server_.pid());
  }

  // Runs body(worker, ops) in `procs` processes; body loops while running(), storing its count.
  // setup() runs in each first, before the process counts as ready.
  template <typename Body, typename Setup = void (*)()>
  void start_clients(Body body, Setup setup = [] {}) {
    for (int w = 0; w < procs_; ++w) {
      clients_.push_back(ChildProcess::spawn([&, w] {
        setup();
        control_.ready.fetch_add(1, std::memory_order_acq_rel);
        while (control_.phase.load(std::memory_order_acquire) == Phase::start) ::sched_yield();
        body(w, counts_[w].ops);
        return 0;
      }));
      place(clients_.back().pid());
    }
  }

  // Ops per second of all clients, the median of kWindows windows after a warm-up; 0 if the
  // clients never became ready or one of them died.
  double measure() {
    const auto deadline = Clock::now() + kReadyTimeout;
    while (control_.ready.load(std::memory_order_acquire) < static_cast<std::uint32_t>(procs_) ||
           (server_ && control_.server_ready.load(std::memory_order_acquire) == 0)) {
      if (Clock::now() > deadline || any_client_exited() || (server_ && server_.poll())) return stop(0);
      std::this_thread::sleep_for(milliseconds(1));
    }
    control_.phase.store(Phase::run, std::memory_order_release);
    std::this_thread::sleep_for(kWarmup);
    std::array<double, kWindows> rates{};
    for (double& rate : rates) {
      const auto start = Clock::now();
      const std::uint64_t before = total();
      std::this_thread::sleep_for(kWindow);
      const std::uint64_t after = total();
      rate = static_cast<double>(after - before) / std::chrono::duration<double>(Clock::now() - start).count();
    }
    std::nth_element(rates.begin(), rates.begin() + kWindows / 2, rates.end());
    const double median = rates[kWindows / 2];
    return stop(any_client_exited() ? 0 : median);
  }

 private:
  void place(pid_t pid) {
    const int cpu = cpu_for(settings_.pin, placed_++, cpus_);
    if (cpu >= 0) pin_process(pid, cpu);
  }
  std::uint64_t total() const {
    std::uint64_t sum = 0;
    for (int w = 0; w < procs_; ++w) sum += counts_[w].ops.load(std::memory_order_relaxed);
    return sum;
  }
  bool any_client_exited() {
    return std::any_of(clients_.begin(), clients_.end(), [](ChildProcess& c) { return c.poll(); });
  }
  double stop(double rate) {
    control_.phase.store(Phase::stop, std::memory_order_release);
    for (ChildProcess& c : clients_) c.stop(milliseconds(1'000));  // a client ends its round trip, then exits
    server_.kill_and_reap();
    return rate;
  }

  const int procs_;
  const RunSettings& settings_;
  Mapping area_;
  Control& control_;
  OpCount* counts_;
  std::vector<int> cpus_;
  std::size_t placed_ = 0;
  ChildProcess server_;
  std::vector<ChildProcess> clients_;
};

// What a worker does before its warm-up (worker.cpp): the first pass over the plan a process
// inherited would otherwise be measured.
void touch_plan(std::span<const PlannedOp> plan) { touch_pages(plan.data(), plan.size_bytes()); }

// ----- table lookups -----

// The dataset in mmap-table's shape, bare: slots of fingerprint << 48 | (record offset + 1) at
// load <= 0.5, linear probing, records of uint32 key size, uint32 value size, key, value. In a
// shared mapping, so that its pages are what mmap-table's are.
class BareTable {
 public:
  explicit BareTable(const Dataset& dataset) {
    const std::size_t slots = std::bit_ceil(std::max<std::size_t>(2 * dataset.size(), 16));
    std::size_t record_bytes = 0;
    for (std::size_t i = 0; i < dataset.size(); ++i) record_bytes += 8 + dataset.key(i).size() + dataset.value(i).size();
    memory_ = Mapping::shared_anonymous(slots * 8 + record_bytes);
    slots_ = reinterpret_cast<std::uint64_t*>(memory_.data());
    records_ = memory_.data() + slots * 8;
    mask_ = slots - 1;
    std::size_t offset = 0;
    for (std::size_t i = 0; i < dataset.size(); ++i) {
      const std::string_view key = dataset.key(i), value = dataset.value(i);
      const std::uint64_t h = hash(key);
      std::size_t s = h & mask_;
      while (slots_[s] != 0) s = (s + 1) & mask_;
      slots_[s] = slot_word::make(h, offset);
      const auto key_size = static_cast<std::uint32_t>(key.size()), value_size = static_cast<std::uint32_t>(value.size());
      std::memcpy(records_ + offset, &key_size, 4);
      std::memcpy(records_ + offset + 4, &value_size, 4);
      std::memcpy(records_ + offset + 8, key.data(), key.size());
      std::memcpy(records_ + offset + 8 + key.size(), value.data(), value.size());
      offset += 8 + key.size() + value.size();
    }
  }

  // Maps every page into this process, as a cell's warm-up does: a MAP_SHARED mapping is not
  // in a forked child's page tables until touched, and 4 KiB minor faults would be measured.
  void touch_pages() const { sharebench::touch_pages(memory_.data(), memory_.size()); }

  std::uint64_t hash(std::string_view key) const { return hash64(key.data(), key.size(), kSeed); }
  void prefetch_slot(std::uint64_t h) const { __builtin_prefetch(&slots_[h & mask_]); }
  void prefetch_record(std::uint64_t h) const {
    const std::uint64_t slot = slots_[h & mask_];
    if (slot != 0 && slot_word::matches(slot, h)) __builtin_prefetch(records_ + slot_word::position(slot));
  }
  // The value's size plus its first byte if found (something the compiler cannot drop), else 0.
  std::uint64_t find(std::string_view key, std::uint64_t h) const {
    for (std::size_t s = h & mask_;; s = (s + 1) & mask_) {
      const std::uint64_t slot = slots_[s];
      if (slot == 0) return 0;
      if (!slot_word::matches(slot, h)) continue;
      const char* record = records_ + slot_word::position(slot);
      std::uint32_t key_size, value_size;
      std::memcpy(&key_size, record, 4);
      std::memcpy(&value_size, record + 4, 4);
      if (key_size == key.size() && std::memcmp(record + 8, key.data(), key.size()) == 0) {
        return value_size + static_cast<unsigned char>(record[8 + key_size]);
      }
    }
  }

 private:
  static constexpr std::uint64_t kSeed = 0x5eed'7ab1e;
  Mapping memory_;
  std::uint64_t* slots_ = nullptr;
  char* records_ = nullptr;
  std::uint64_t mask_ = 0;
};

// The schedule's gets, from where worker w of `procs` starts, in batches of `depth`: a batch
// hashed and prefetched in two stages as mmap-table does it, a batch of 1 looked up alone.
double table_lookups(const FloorSpec& f, const BareTable& table, const OpSchedule& schedule,
                     const RunSettings& settings) {
  const std::span<const PlannedOp> plan = schedule.ops();
  Floor floor(f.procs, settings);
  floor.start_clients([&](int w, std::atomic<std::uint64_t>& count) {
    std::size_t position = schedule.start_of(w, f.procs);
    std::vector<std::string_view> keys(f.depth);
    std::uint64_t ops = 0, sink = 0;
    while (floor.running()) {
      for (int round = 0; round < 64; ++round) {
        std::size_t n = 0;
        while (n < f.depth) {
          const PlannedOp& p = plan[position];
          if (++position == plan.size()) position = 0;
          if (p.kind == OpKind::get) keys[n++] = p.key();
        }
        if (n == 1) {
          sink += table.find(keys[0], table.hash(keys[0]));
        } else {
          apply_prefetched(table, n, [&](std::size_t i) { return keys[i]; },
                           [&](std::size_t i, std::uint64_t h) { sink += table.find(keys[i], h); });
        }
        ops += n;
      }
      count.store(ops, std::memory_order_relaxed);
    }
    asm volatile("" : : "r"(sink));
  }, [&] {
    table.touch_pages();
    touch_plan(plan);
  });
  return floor.measure();
}

// ----- a shared atomic add -----

std::uint32_t counters_of(std::span<const PlannedOp> plan) {
  std::uint32_t counters = 1;
  for (const PlannedOp& p : plan) {
    if (p.kind == OpKind::add) counters = std::max(counters, p.key_index + 1);
  }
  return counters;
}

double atomic_adds(const FloorSpec& f, const OpSchedule& schedule, const RunSettings& settings) {
  const std::span<const PlannedOp> plan = schedule.ops();
  const std::uint32_t counters = counters_of(plan);
  Mapping memory = Mapping::shared_anonymous(64 * counters);  // a cache line each, as in the best layout
  Floor floor(f.procs, settings);
  floor.start_clients([&](int w, std::atomic<std::uint64_t>& count) {
    std::size_t position = schedule.start_of(w, f.procs);
    std::uint64_t ops = 0;
    while (floor.running()) {
      for (int i = 0; i < 1024; ++i) {
        const PlannedOp& p = plan[position];
        if (++position == plan.size()) position = 0;
        if (p.kind != OpKind::add) continue;
        reinterpret_cast<std::atomic<std::int64_t>*>(memory.data() + 64 * p.key_index)->fetch_add(1);
        ++ops;
      }
      count.store(ops, std::memory_order_relaxed);
    }
  }, [&] { touch_plan(plan); });
  return floor.measure();
}

// ----- an add under a process-shared lock -----

// What multiprocessing.Array('q')'s adds stand on: its lock is a SemLock, a POSIX semaphore in
// shared memory, and the counters are packed 8 bytes apart in one shared block under it.
double locked_adds(const FloorSpec& f, const OpSchedule& schedule, const RunSettings& settings) {
  const std::span<const PlannedOp> plan = schedule.ops();
  const std::uint32_t counters = counters_of(plan);
  Mapping memory = Mapping::shared_anonymous(64 + 8 * static_cast<std::size_t>(counters));
  sem_t* lock = new (memory.data()) sem_t;
  if (::sem_init(lock, 1, 1) != 0) return 0;
  auto* values = reinterpret_cast<std::int64_t*>(memory.data() + 64);
  double rate = 0;
  {
    Floor floor(f.procs, settings);
    floor.start_clients([&](int w, std::atomic<std::uint64_t>& count) {
      std::size_t position = schedule.start_of(w, f.procs);
      std::uint64_t ops = 0;
      while (floor.running()) {
        for (int i = 0; i < 256; ++i) {
          const PlannedOp& p = plan[position];
          if (++position == plan.size()) position = 0;
          if (p.kind != OpKind::add) continue;
          while (::sem_wait(lock) != 0) {
          }
          values[p.key_index] += 1;
          ::sem_post(lock);
          ++ops;
        }
        count.store(ops, std::memory_order_relaxed);
      }
    }, [&] { touch_plan(plan); });
    rate = floor.measure();
  }  // every client has exited or been killed before the semaphore goes
  ::sem_destroy(lock);
  return rate;
}

// ----- round trips -----

std::string request_frame() { return std::string(kRequestBytes, 'q'); }
std::string reply_frame(const FloorSpec& f) { return std::string(kReplyHeaderBytes + f.reply_bytes, 'r'); }

bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}
bool receive_exactly(int fd, char* buffer, std::size_t size) {
  for (std::size_t got = 0; got < size;) {
    const ssize_t n = ::recv(fd, buffer + got, size - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return true;
}

// One socketpair per client; the echo process polls them all and answers every whole request.
double unix_socket_round_trips(const FloorSpec& f, const RunSettings& settings) {
  std::vector<UniqueFd> server_ends, client_ends;
  for (int w = 0; w < f.procs; ++w) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return 0;
    server_ends.emplace_back(pair[0]);
    client_ends.emplace_back(pair[1]);
  }
  const std::size_t request_size = 4 + kRequestBytes;
  const std::string reply = std::string(4, '\0') + reply_frame(f);
  Floor floor(f.procs, settings);
  floor.start_server([&]() -> int {
    floor.server_listens();
    std::vector<pollfd> fds;
    for (const UniqueFd& fd : server_ends) fds.push_back({fd.get(), POLLIN, 0});
    std::vector<std::size_t> partial(fds.size(), 0);
    std::vector<char> in(65536);
    std::string out;
    for (;;) {
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        return 1;
      }
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        const ssize_t n = ::recv(fds[i].fd, in.data(), in.size(), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return 0;
        partial[i] += static_cast<std::size_t>(n);
        out.clear();
        for (; partial[i] >= request_size; partial[i] -= request_size) out += reply;
        if (!out.empty() && !send_all(fds[i].fd, out.data(), out.size())) return 0;
      }
    }
  });
  floor.start_clients([&](int w, std::atomic<std::uint64_t>& count) {
    const int fd = client_ends[static_cast<std::size_t>(w)].get();
    std::string requests;
    for (std::size_t i = 0; i < f.depth; ++i) requests.append(4, '\0').append(request_frame());
    std::vector<char> replies(f.depth * reply.size());
    std::uint64_t ops = 0;
    while (floor.running()) {
      if (!send_all(fd, requests.data(), requests.size()) || !receive_exactly(fd, replies.data(), replies.size())) {
        ::_exit(1);
      }
      ops += f.depth;
      count.store(ops, std::memory_order_relaxed);
    }
  });
  server_ends.clear();  // the processes hold their own copies
  client_ends.clear();
  return floor.measure();
}

double zmq_round_trips(const FloorSpec& f, const RunSettings& settings) {
  const PrivateDir dir(settings.strategy_options.object_prefix + "-limit");
  const std::string endpoint = "ipc://" + dir.path() + "/echo.sock";
  const std::string reply = reply_frame(f);
  Floor floor(f.procs, settings);
  floor.start_server([&]() -> int {  // a context is made after fork, never crossing one
    zmq::context_t context(1);
    zmq::socket_t router(context, zmq::socket_type::router);
    router.bind(endpoint);
    floor.server_listens();
    zmq::message_t identity, frame;
    for (;;) {
      if (!router.recv(identity) || !router.recv(frame)) return 1;
      router.send(identity, zmq::send_flags::sndmore);
      router.send(zmq::buffer(reply), zmq::send_flags::none);
    }
  });
  floor.start_clients([&](int, std::atomic<std::uint64_t>& count) {
    zmq::context_t context(1);
    zmq::socket_t dealer(context, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::linger, 0);
    dealer.connect(endpoint);  // before the bind is fine: the DEALER queues until it connects
    const std::string request = request_frame();
    zmq::message_t in;
    std::uint64_t ops = 0;
    while (floor.running()) {
      for (std::size_t i = 0; i < f.depth; ++i) dealer.send(zmq::buffer(request), zmq::send_flags::none);
      for (std::size_t i = 0; i < f.depth; ++i) {
        if (!dealer.recv(in)) ::_exit(1);
      }
      ops += f.depth;
      count.store(ops, std::memory_order_relaxed);
    }
  });
  return floor.measure();
}

// queue-passing's queues used as it uses them, with nothing else: its Queue (robust lock, a
// lock-free count to poll), its message sizes and depths, its waits (poll, then a futex word),
// all clients -> one request queue -> an echo owner that drains up to kOwnerDrain requests at a
// time -> each client's reply queue, `depth` requests in flight per client. No codec and no
// dictionary: a request carries its client's number in its first bytes.
double queue_round_trips(const FloorSpec& f, const Dataset& dataset, const RunSettings& settings) {
  namespace qp = queue_passing;
  const std::string prefix = settings.strategy_options.object_prefix + "-limit";
  const std::size_t message_size = qp::kHeaderSize + qp::payload_capacity_for(dataset.max_key_size(), dataset.max_value_size());
  const std::size_t request_size = qp::kHeaderSize + dataset.max_key_size();  // a get: header + key
  const std::size_t reply_size = std::min(message_size, qp::kHeaderSize + f.reply_bytes);  // header + value
  Mapping shared_area = Mapping::shared_anonymous(sizeof(qp::SharedState));
  qp::SharedState& shared = *new (shared_area.data()) qp::SharedState;
  qp::Queue requests = qp::Queue::create(qp::request_queue_name(prefix), qp::request_depth_for(message_size), message_size);
  std::vector<qp::Queue> replies;
  for (int w = 0; w < f.procs; ++w) {
    replies.push_back(qp::Queue::create(qp::reply_queue_name(prefix, w), qp::kReplyDepth, message_size));
  }
  const auto deadline = [] { return qp::Clock::now() + kReadyTimeout; };
  Floor floor(f.procs, settings);
  floor.start_server([&]() -> int {
    floor.server_listens();
    std::vector<char> in(qp::kOwnerDrain * message_size);
    std::size_t received[qp::kOwnerDrain];
    const std::vector<char> reply(reply_size, 'r');
    for (;;) {
      const auto first = [&] { return requests.queued_hint() != 0 && requests.try_receive(in.data(), message_size, received[0]); };
      while (!qp::wait_until(shared.requests_ready, first, qp::kOwnerSpin, deadline())) {
      }
      std::size_t n = 1;
      while (n < qp::kOwnerDrain && requests.queued_hint() != 0 &&
             requests.try_receive(in.data() + n * message_size, message_size, received[n])) {
        ++n;
      }
      shared.requests_taken.fetch_add(n, std::memory_order_relaxed);
      qp::notify(shared.requests_room);
      for (std::size_t i = 0; i < n; ++i) {
        std::uint32_t client = 0;
        std::memcpy(&client, in.data() + i * message_size, sizeof client);
        // A live client never has more in flight than its reply queue holds.
        while (!replies[client].try_send(reply.data(), reply.size())) ::sched_yield();
        qp::notify(shared.replies_ready[client]);
      }
    }
  });
  floor.start_clients([&](int w, std::atomic<std::uint64_t>& count) {
    std::vector<char> request(request_size, 'q'), in(message_size);
    const auto client = static_cast<std::uint32_t>(w);
    std::memcpy(request.data(), &client, sizeof client);
    qp::Queue& mine = replies[static_cast<std::size_t>(w)];
    std::uint64_t ops = 0;
    while (floor.running()) {
      for (std::size_t i = 0; i < f.depth; ++i) {
        const auto sent = [&] { return requests.try_send(request.data(), request.size()); };
        if (!sent() && !qp::wait_until(shared.requests_room, sent, qp::kClientSpin, deadline())) ::_exit(1);
        qp::notify(shared.requests_ready);
      }
      for (std::size_t i = 0; i < f.depth; ++i) {
        std::size_t received = 0;
        const auto got = [&] { return mine.queued_hint() != 0 && mine.try_receive(in.data(), in.size(), received); };
        if (!mine.try_receive(in.data(), in.size(), received) &&
            !qp::wait_until(shared.replies_ready[client], got, qp::kClientSpin, deadline())) {
          ::_exit(1);
        }
      }
      ops += f.depth;
      count.store(ops, std::memory_order_relaxed);
    }
  });
  return floor.measure();
}

const char* mechanism_name(Mechanism m) {
  switch (m) {
    case Mechanism::none: return "none";
    case Mechanism::table_lookup: return "table lookup";
    case Mechanism::unix_socket_round_trip: return "Unix socket round trip";
    case Mechanism::zmq_round_trip: return "ZeroMQ round trip";
    case Mechanism::queue_round_trip: return "message queue round trip";
    case Mechanism::shared_atomic_add: return "shared atomic add";
    case Mechanism::locked_add: return "add under a shared semaphore";
  }
  return "?";
}

bool is_round_trip(Mechanism m) {
  return m == Mechanism::unix_socket_round_trip || m == Mechanism::zmq_round_trip || m == Mechanism::queue_round_trip;
}

}  // namespace

// Outside the unnamed namespace only so that FloorData can own one.
class BareTableHolder {
 public:
  explicit BareTableHolder(const Dataset& dataset) : table(dataset) {}
  const BareTable table;
};

FloorData::FloorData(const Dataset& dataset, const OpSchedule& schedule) : dataset_(dataset), schedule_(schedule) {}
FloorData::~FloorData() = default;

const BareTableHolder& FloorData::table() {
  if (!table_) table_ = std::make_unique<BareTableHolder>(dataset_);
  return *table_;
}

std::string describe(const FloorSpec& f) {
  std::string text = mechanism_name(f.mechanism);
  if (f.mechanism == Mechanism::table_lookup) text += ", batch " + std::to_string(f.depth);
  if (is_round_trip(f.mechanism)) text += ", " + std::to_string(f.depth) + " in flight";
  return text + ", " + std::to_string(f.procs) + (f.procs == 1 ? " process" : " processes");
}

double measure_floor(const FloorSpec& f, FloorData& data, const RunSettings& settings) {
  try {
    switch (f.mechanism) {
      case Mechanism::none: return 0;
      case Mechanism::table_lookup: return table_lookups(f, data.table().table, data.schedule(), settings);
      case Mechanism::unix_socket_round_trip: return unix_socket_round_trips(f, settings);
      case Mechanism::zmq_round_trip: return zmq_round_trips(f, settings);
      case Mechanism::queue_round_trip: return queue_round_trips(f, data.dataset(), settings);
      case Mechanism::shared_atomic_add: return atomic_adds(f, data.schedule(), settings);
      case Mechanism::locked_add: return locked_adds(f, data.schedule(), settings);
    }
  } catch (const std::exception&) {
    // A floor that cannot be measured leaves its cells without a limit; it never fails a cell.
  }
  return 0;
}

double LimitMeter::floor_rate(const FloorSpec& f, const WorkloadSpec& workload, const Dataset& dataset,
                              const OpSchedule& schedule, bool beaten) {
  // Only the table and the counters read the workload's data; a round trip is the same for all.
  const bool reads_data = f.mechanism == Mechanism::table_lookup || f.mechanism == Mechanism::shared_atomic_add ||
                          f.mechanism == Mechanism::locked_add;
  // The queue's messages are sized from the dataset's longest key and value.
  const bool sized_by_data = reads_data || f.mechanism == Mechanism::queue_round_trip;
  // A sweep's sizes share the workload's name but not its data: they are part of the floor.
  MeasuredFloor wanted;
  wanted.mechanism = describe(f);
  wanted.reply_bytes = f.reply_bytes;
  if (sized_by_data) wanted.workload = workload.name, wanted.value_size = workload.value_size, wanted.keys = workload.keys;
  auto known = std::find_if(floors_.begin(), floors_.end(), [&](const MeasuredFloor& m) {
    return m.mechanism == wanted.mechanism && m.workload == wanted.workload && m.value_size == wanted.value_size &&
           m.keys == wanted.keys && m.reply_bytes == wanted.reply_bytes;
  });
  if (known != floors_.end() && !per_repetition_ && (!beaten || known->measurements > kRemeasures)) {
    return known->ops_per_second;
  }
  // One dataset's table is built once, for every batch and procs count that looks it up.
  const auto data_of = std::make_tuple(workload.name, workload.value_size, workload.keys);
  if (!data_ || data_of_ != data_of) {
    data_ = std::make_unique<FloorData>(dataset, schedule);
    data_of_ = data_of;
  }
  const auto start = Clock::now();
  const double rate = measure_floor(f, *data_, settings_);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  seconds_ += seconds;
  if (known == floors_.end()) {
    wanted.ops_per_second = rate;
    wanted.seconds = seconds;
    floors_.push_back(std::move(wanted));
    rates_.push_back(rate > 0 ? std::vector<double>{rate} : std::vector<double>{});
    return rate;
  }
  known->seconds += seconds;
  ++known->measurements;
  if (per_repetition_) {  // this cell's own figure; the run's record of the floor is their median
    std::vector<double>& rates = rates_[static_cast<std::size_t>(known - floors_.begin())];
    if (rate > 0) rates.push_back(rate);  // a failed measurement (0) is no figure of the floor
    known->ops_per_second = aggregate(rates).median;
    return rate;
  }
  known->ops_per_second = std::max(known->ops_per_second, rate);
  return known->ops_per_second;
}

CellLimit LimitMeter::limit_of(const CellResult& cell, const StrategyInfo& strategy, const WorkloadSpec& workload,
                               const Dataset& dataset, const OpSchedule& schedule) {
  if (strategy.floors == nullptr || cell.status != CellStatus::ok || cell.ops == 0) return {};
  const Floors floors = strategy.floors(settings_.strategy_options);
  const std::pair<double, Mechanism> mix[] = {
      {workload.get_ratio, floors.get}, {workload.put_ratio, floors.put}, {workload.add_ratio, floors.add}};
  const std::size_t batch = std::max<std::size_t>(cell.batch, 1);
  for (const auto& [ratio, mechanism] : mix) {
    if (ratio > 0 && mechanism == Mechanism::none) return {};  // before measuring anything
  }
  const auto compute = [&](bool beaten) -> CellLimit {
    double seconds_per_op = 0;
    double single_rate = 0;  // an op kind alone: its floor itself, without a rounding 1 / (1 / r)
    int kinds = 0;
    CellLimit limit;
    // Operations on one mechanism (a get and a put, each a round trip) share one measurement.
    std::vector<std::pair<std::string, double>> measured;
    for (const auto& [ratio, mechanism] : mix) {
      if (ratio <= 0) continue;
      FloorSpec f{mechanism, batch, cell.procs, workload.value_size};
      if (is_round_trip(mechanism) && floors.in_flight > 0) f.depth = std::min(batch, floors.in_flight);
      if (mechanism == Mechanism::shared_atomic_add || mechanism == Mechanism::locked_add) f.depth = 1;
      const std::string name = describe(f);
      const auto earlier = std::find_if(measured.begin(), measured.end(), [&](const auto& m) { return m.first == name; });
      const double rate = earlier != measured.end() ? earlier->second : floor_rate(f, workload, dataset, schedule, beaten);
      measured.emplace_back(name, rate);
      if (rate <= 0) return {};
      seconds_per_op += ratio / rate;
      single_rate = rate / ratio;
      ++kinds;
      if (limit.mechanism.find(describe(f)) == std::string::npos) {
        limit.mechanism += (limit.mechanism.empty() ? "" : " + ") + describe(f);
      }
    }
    if (seconds_per_op <= 0) return {};
    limit.ops_per_second = kinds == 1 ? single_rate : 1 / seconds_per_op;
    return limit;
  };
  CellLimit limit = compute(false);
  // A strategy cannot outrun the bare mechanism it is built on: a cell above its floor means the
  // floor was measured at a bad moment (another process had the CPU, the VM's wake-ups were
  // slow), so it is measured again, and the best of its medians kept: still a typical rate of
  // the mechanism, not one lucky window.
  for (int again = 0; again < (per_repetition_ ? kRemeasures : 1); ++again) {
    if (limit.ops_per_second <= 0 || cell.ops_per_second() <= limit.ops_per_second) break;
    const CellLimit remeasured = compute(true);
    if (remeasured.ops_per_second > limit.ops_per_second) limit = remeasured;
  }
  return limit;
}

}  // namespace sharebench
