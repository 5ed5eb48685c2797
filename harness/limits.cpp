#include "harness/limits.hpp"

#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/interprocess/ipc/message_queue.hpp>

#include <algorithm>
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

namespace sharebench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kWarmup{20};
constexpr int kWindows = 5;
constexpr milliseconds kWindow{30};
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

  // Ops per second of all clients, the best of kWindows windows after a warm-up; 0 if the
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
    double best = 0;
    for (int i = 0; i < kWindows; ++i) {
      const auto start = Clock::now();
      const std::uint64_t before = total();
      std::this_thread::sleep_for(kWindow);
      const std::uint64_t after = total();
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      best = std::max(best, static_cast<double>(after - before) / seconds);
    }
    return stop(any_client_exited() ? 0 : best);
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
  void touch_pages() const {
    std::uint64_t sink = 0;
    for (std::size_t at = 0; at < memory_.size(); at += 4096) sink += static_cast<unsigned char>(memory_.data()[at]);
    asm volatile("" : : "r"(sink));
  }

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

// The schedule's gets, from where worker w of `procs` starts, in batches of `depth`.
double table_lookups(const FloorSpec& f, const Dataset& dataset, const OpSchedule& schedule,
                     const RunSettings& settings) {
  const BareTable table(dataset);
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
  }, [&] { table.touch_pages(); });
  return floor.measure();
}

// ----- a shared atomic add -----

double atomic_adds(const FloorSpec& f, const OpSchedule& schedule, const RunSettings& settings) {
  const std::span<const PlannedOp> plan = schedule.ops();
  std::uint32_t counters = 1;
  for (const PlannedOp& p : plan) {
    if (p.kind == OpKind::add) counters = std::max(counters, p.key_index + 1);
  }
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
  });
  return floor.measure();
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
      if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return 1;
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        const ssize_t n = ::recv(fds[i].fd, in.data(), in.size(), 0);
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
    for (std::size_t i = 0; i < f.depth; ++i) requests += std::string(4, '\0') + request_frame();
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

namespace bip = boost::interprocess;

// Removes a message queue's name when it goes: nothing remains in /dev/shm.
struct QueueName {
  std::string name;
  ~QueueName() { bip::message_queue::remove(name.c_str()); }
};

// Polls until `attempt` succeeds, yielding the CPU now and then so that more processes than
// CPUs still progress.
template <typename Attempt>
void poll_until(Attempt attempt) {
  for (unsigned misses = 0; !attempt(); ++misses) {
    if ((misses & 255) == 255) ::sched_yield();
  }
}

// All clients -> one request queue -> the echo process -> each client's reply queue, with the
// non-blocking operations queue-passing uses (its waits are polls, then futex sleeps).
double queue_round_trips(const FloorSpec& f, const RunSettings& settings) {
  const std::string prefix = settings.strategy_options.object_prefix + "-limit";
  const std::size_t request_size = 2 + kRequestBytes;  // the client's number, then the frame
  const std::string reply = reply_frame(f);
  std::vector<QueueName> names;
  names.reserve(static_cast<std::size_t>(f.procs) + 1);  // never moved: each removes its name once
  std::vector<std::unique_ptr<bip::message_queue>> queues;
  try {
    names.push_back({prefix + "-req"});
    queues.push_back(std::make_unique<bip::message_queue>(bip::create_only, names.back().name.c_str(),
                                                          std::max<std::size_t>(64, f.depth * f.procs), request_size));
    for (int w = 0; w < f.procs; ++w) {
      names.push_back({prefix + "-rep-" + std::to_string(w)});
      queues.push_back(std::make_unique<bip::message_queue>(bip::create_only, names.back().name.c_str(),
                                                            std::max<std::size_t>(64, f.depth), reply.size()));
    }
  } catch (const bip::interprocess_exception&) {
    return 0;
  }
  Floor floor(f.procs, settings);
  floor.start_server([&]() -> int {
    floor.server_listens();
    std::vector<char> in(request_size);
    for (;;) {
      std::size_t received = 0;
      unsigned int priority = 0;
      poll_until([&] { return queues[0]->try_receive(in.data(), in.size(), received, priority); });
      std::uint16_t client = 0;
      std::memcpy(&client, in.data(), sizeof client);
      bip::message_queue& to = *queues[1 + client];
      poll_until([&] { return to.try_send(reply.data(), reply.size(), 0); });
    }
  });
  floor.start_clients([&](int w, std::atomic<std::uint64_t>& count) {
    const auto client = static_cast<std::uint16_t>(w);
    const std::string request = std::string(reinterpret_cast<const char*>(&client), sizeof client) + request_frame();
    std::vector<char> in(reply.size());
    bip::message_queue& requests = *queues[0];
    bip::message_queue& replies = *queues[1 + static_cast<std::size_t>(w)];
    std::uint64_t ops = 0;
    while (floor.running()) {
      for (std::size_t i = 0; i < f.depth; ++i) {
        poll_until([&] { return requests.try_send(request.data(), request.size(), 0); });
      }
      for (std::size_t i = 0; i < f.depth; ++i) {
        std::size_t received = 0;
        unsigned int priority = 0;
        poll_until([&] { return replies.try_receive(in.data(), in.size(), received, priority); });
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
  }
  return "?";
}

bool is_round_trip(Mechanism m) {
  return m == Mechanism::unix_socket_round_trip || m == Mechanism::zmq_round_trip || m == Mechanism::queue_round_trip;
}

}  // namespace

std::string describe(const FloorSpec& f) {
  std::string text = mechanism_name(f.mechanism);
  if (f.mechanism == Mechanism::table_lookup) text += ", batch " + std::to_string(f.depth);
  if (is_round_trip(f.mechanism)) text += ", " + std::to_string(f.depth) + " in flight";
  return text + ", " + std::to_string(f.procs) + (f.procs == 1 ? " process" : " processes");
}

double measure_floor(const FloorSpec& f, const Dataset& dataset, const OpSchedule& schedule,
                     const RunSettings& settings) {
  try {
    switch (f.mechanism) {
      case Mechanism::none: return 0;
      case Mechanism::table_lookup: return table_lookups(f, dataset, schedule, settings);
      case Mechanism::unix_socket_round_trip: return unix_socket_round_trips(f, settings);
      case Mechanism::zmq_round_trip: return zmq_round_trips(f, settings);
      case Mechanism::queue_round_trip: return queue_round_trips(f, settings);
      case Mechanism::shared_atomic_add: return atomic_adds(f, schedule, settings);
    }
  } catch (const std::exception&) {
    // A floor that cannot be measured leaves its cells without a limit; it never fails a cell.
  }
  return 0;
}

double LimitMeter::floor_rate(const FloorSpec& f, const WorkloadSpec& workload, const Dataset& dataset,
                              const OpSchedule& schedule) {
  const bool reads_data = f.mechanism == Mechanism::table_lookup || f.mechanism == Mechanism::shared_atomic_add;
  // A sweep's sizes share the workload's name but not its data.
  const std::string data = workload.name + "/" + std::to_string(workload.value_size) + "/" + std::to_string(workload.keys);
  const auto key = std::make_tuple(f.mechanism, f.depth, f.procs, f.reply_bytes, reads_data ? data : "");
  const auto known = measured_.find(key);
  if (known != measured_.end()) return known->second;
  const auto start = Clock::now();
  const double rate = measure_floor(f, dataset, schedule, settings_);
  seconds_ += std::chrono::duration<double>(Clock::now() - start).count();
  return measured_[key] = rate;
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
  double seconds_per_op = 0;
  CellLimit limit;
  for (const auto& [ratio, mechanism] : mix) {
    if (ratio <= 0) continue;
    FloorSpec f{mechanism, batch, cell.procs, workload.value_size};
    if (is_round_trip(mechanism) && floors.in_flight > 0) f.depth = std::min(batch, floors.in_flight);
    if (mechanism == Mechanism::shared_atomic_add) f.depth = 1;
    const double rate = floor_rate(f, workload, dataset, schedule);
    if (rate <= 0) return {};
    seconds_per_op += ratio / rate;
    if (limit.mechanism.find(describe(f)) == std::string::npos) {
      limit.mechanism += (limit.mechanism.empty() ? "" : " + ") + describe(f);
    }
  }
  if (seconds_per_op <= 0) return {};
  limit.ops_per_second = 1 / seconds_per_op;
  return limit;
}

}  // namespace sharebench
