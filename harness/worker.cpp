#include "harness/worker.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <ctime>
#include <exception>
#include <string>
#include <vector>

#include "common/cpu.hpp"
#include "common/error.hpp"
#include "common/hash.hpp"
#include "common/os.hpp"

namespace sharebench {
namespace {

using std::chrono::milliseconds;

std::uint64_t clock_ns(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}
std::uint64_t now_ns() { return clock_ns(CLOCK_MONOTONIC); }

// What one clock read costs here, so the sampling rate can keep timing cheap.
double measure_clock_read_ns() {
  constexpr int kReads = 2000;
  const std::uint64_t start = now_ns();
  std::uint64_t sink = 0;
  for (int i = 0; i < kReads; ++i) sink += now_ns();
  const std::uint64_t end = now_ns();
  asm volatile("" : : "r"(sink));
  return std::max(1.0, static_cast<double>(end - start) / kReads);
}

// Automatic sampling times every batch at first, then re-chooses its rate from the median
// of every kSamplesPerChoice timed batches: the first batches of a cell pay for cold caches
// and page faults (a choice made once, from them, timed every batch of mmap-table), and a
// median ignores the batches a preemption stretched.
constexpr std::size_t kSamplesPerChoice = 64;
// The sampling interval's cap: a run still times enough batches for its percentiles.
constexpr std::uint64_t kMaxLatencyOneIn = 4096;
// The largest value size whose absent gets are checked without a branch (Worker::check_get).
constexpr std::size_t kMaxStandIn = 128;
// What every add adds: publish_counts() derives the total the counters must reach from it.
constexpr std::int64_t kAddDelta = 1;

void wait_for_phase(const ControlBlock& control, Phase at_least, pid_t coordinator) {
  for (;;) {
    const Phase phase = control.phase.load(std::memory_order_acquire);
    if (phase >= at_least) return;
    if (::getppid() != coordinator) ::_exit(3);
    futex_wait(&control.phase, static_cast<std::uint32_t>(phase), milliseconds(100));
  }
}

void pin_to(int cpu) {
  if (cpu >= 0 && !pin_thread(0, cpu)) throw Error("cannot pin to CPU " + std::to_string(cpu));
}

class Worker {
 public:
  explicit Worker(const ProcessContext& context)
      : c_(context),
        report_(context.area.worker(context.worker)),
        schedule_(context.schedule.ops()),
        first_position_(context.schedule.start_of(context.worker, context.procs)),
        position_(first_position_),
        gets_only_(!context.workload.needs_put() && !context.workload.needs_add()),
        check_reads_(context.capabilities.holds_data),
        value_size_(context.workload.value_size),
        absent_stand_in_(value_size_ <= kMaxStandIn ? value_size_ : 0, '\0'),
        last_written_(context.area.last_written(context.worker)) {}

  void run() {
    pin_to(c_.cpu);  // before connect(): threads a client starts inherit the mask
    client_ = c_.strategy.connect(c_.worker);
    // Open loop issues one op per due time, as wrk2 schedules requests: a batch would be a
    // burst of ops all due at once, and its latency that of the burst.
    const bool open_loop = c_.settings.target_ops_per_second > 0;
    const std::size_t wanted = c_.settings.batch != 0 ? c_.settings.batch
                               : open_loop            ? 1
                                                      : client_->preferred_batch();
    const std::size_t batch = std::clamp<std::size_t>(wanted, 1, 4096);
    allocate(batch);
    // The plan's pages were inherited: their first touch is not the strategy's cost (os.hpp).
    touch_pages(schedule_.data(), schedule_.size_bytes());
    report_.batch = static_cast<std::uint32_t>(batch);
    clock_read_ns_ = measure_clock_read_ns();
    report_.clock_cost_ns = static_cast<std::uint64_t>(std::llround(2 * clock_read_ns_));

    ControlBlock& control = c_.area.control();
    report_.state.store(ReportState::ready, std::memory_order_release);
    control.ready.fetch_add(1, std::memory_order_acq_rel);
    futex_wake_all(&control.ready);
    client_->pause();
    wait_for_phase(control, Phase::warmup, c_.coordinator);

    measured_loop(control);

    record_figures();
    report_.state.store(ReportState::done, std::memory_order_release);
    client_->pause();
    wait_for_phase(control, Phase::exit, c_.coordinator);
    client_.reset();
  }

 private:
  void record_figures() {
    const Client::Figures figures = client_->figures();
    for (std::size_t i = 0; i < std::min(figures.size(), std::size(report_.figures)); ++i) {
      copy_message(report_.figures[i].name, figures[i].first);
      report_.figures[i].value = figures[i].second;
    }
  }

  void allocate(std::size_t batch) {
    ops_.resize(batch);
    verify_checked_ = choose_verify<false>();
    verify_and_refill_checked_ = choose_verify<true>();
    versions_.resize(batch);
    values_.resize(c_.workload.needs_put() ? batch * c_.workload.value_size : 0);
    for (Op& op : ops_) op.buffer.reserve(c_.workload.value_size);
  }

  void measured_loop(const ControlBlock& control) {
    if (c_.settings.target_ops_per_second > 0) return open_loop(control);
    const std::span<Op> batch(ops_);
    const bool automatic = c_.settings.latency_one_in == 0;
    std::uint64_t sample_mask = automatic ? 0 : std::bit_ceil(c_.settings.latency_one_in) - 1;
    std::array<std::uint64_t, kSamplesPerChoice> recent_ns{};  // automatic: the last timed batches
    std::size_t recent = 0;
    std::uint64_t cpu_start = 0;
    bool measuring = false;
    // Each batch is filled as the one before it is checked (verify_and_refill), so the first
    // is filled here and the last filled is never executed: nothing counts a filled op.
    fill_batch();
    for (std::uint64_t batches = 0;; ++batches) {
      const Phase phase = control.phase.load(std::memory_order_acquire);
      if (phase >= Phase::stop) break;
      if (phase == Phase::measure && !measuring) {
        measuring = true;
        window_first_op_ = executed_;
        found_off_plan_ = 0;  // what the warm-up corrected is not the window's
        cpu_start = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
      }
      if ((batches & sample_mask) == 0) {
        const std::uint64_t start = now_ns();
        client_->execute(batch);
        const std::uint64_t elapsed = now_ns() - start;
        if (measuring) report_.latency.record(elapsed, batch.size());
        if (automatic) {
          recent_ns[recent] = elapsed;
          if (++recent == recent_ns.size()) {
            sample_mask = one_in_for(median(recent_ns)) - 1;
            recent = 0;
          }
        }
      } else {
        client_->execute(batch);
      }
      verify_and_refill(measuring);
    }
    report_.window_end_ns = measuring ? now_ns() : 0;
    report_.cpu_ns = measuring ? clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu_start : 0;
    report_.latency_one_in = static_cast<std::uint32_t>(sample_mask + 1);
    publish_counts(measuring);
  }

  // Open loop: batch k is due at start + k * interval, whether or not the previous one is
  // done. Every batch is timed twice: from when it was due (what a client of a stalled
  // server experiences; coordinated omission corrected) and from when it really started
  // (service time).
  void open_loop(const ControlBlock& control) {
    const std::span<Op> batch(ops_);
    const double per_worker = c_.settings.target_ops_per_second / c_.procs;
    const double interval_ns = static_cast<double>(batch.size()) * 1e9 / per_worker;
    const std::uint64_t start = now_ns();
    std::uint64_t cpu_start = 0, last_done = 0;
    bool measuring = false;
    for (std::uint64_t k = 0;; ++k) {
      const std::uint64_t due = start + static_cast<std::uint64_t>(static_cast<double>(k) * interval_ns);
      fill_batch();  // before waiting, so that nothing but a clock read separates due and start
      client_->pause();
      if (!wait_until(due, control)) break;
      const Phase phase = control.phase.load(std::memory_order_acquire);
      if (phase >= Phase::stop) break;
      if (phase == Phase::measure && !measuring) {
        measuring = true;
        window_first_op_ = executed_;
        found_off_plan_ = 0;  // what the warm-up corrected is not the window's
        cpu_start = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
      }
      const std::uint64_t began = now_ns();
      client_->execute(batch);
      const std::uint64_t done = now_ns();
      if (measuring) {
        last_done = done;  // not when the wait for the next one saw the stop: up to a nap later
        report_.latency.record(done - due, batch.size());
        report_.service.record(done - began, batch.size());
      }
      verify_batch(measuring);
    }
    report_.window_end_ns = last_done;
    report_.cpu_ns = measuring ? clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu_start : 0;
    report_.latency_one_in = 1;
    publish_counts(measuring);
  }

  // Sleeps, then spins for the last stretch so a batch starts within a clock read of its
  // due time; false if the window ended meanwhile.
  static bool wait_until(std::uint64_t due, const ControlBlock& control) {
    constexpr std::uint64_t kSpin = 200'000;  // ns; sleeping is coarser than this
    for (std::uint64_t now = now_ns(); now < due; now = now_ns()) {
      if (control.phase.load(std::memory_order_acquire) >= Phase::stop) return false;
      if (due - now > kSpin) {
        const std::uint64_t nap = std::min<std::uint64_t>(due - now - kSpin, 10'000'000);
        const timespec ts{0, static_cast<long>(nap)};
        ::nanosleep(&ts, nullptr);
      }
    }
    return true;
  }

  // The plan fixes every op's kind, so what ran is counted from it once, here, not per op.
  void publish_counts(bool measured) {
    const OpSchedule::KindCounts all = c_.schedule.count(first_position_, executed_);
    report_.add_total = all.adds * static_cast<std::uint64_t>(kAddDelta);
    report_.reads_checked = check_reads_ ? all.gets : 0;
    if (!measured) return;
    const std::uint64_t window_ops = executed_ - window_first_op_;
    const std::size_t window_first = (first_position_ + window_first_op_) % schedule_.size();
    const OpSchedule::KindCounts window = c_.schedule.count(window_first, window_ops);
    report_.ops = window_ops;
    report_.gets = window.gets;
    report_.puts = window.puts;
    report_.adds = window.adds;
    // Checked gets found a value exactly where the plan says, but for those counted off it.
    report_.gets_found = check_reads_ ? window.hits + found_off_plan_ : window_found_;
  }

  // The interval for batches that take `batch_ns`, which includes about one clock read.
  std::uint64_t one_in_for(double batch_ns) const {
    return choose_latency_one_in(std::max(1.0, batch_ns - clock_read_ns_), clock_read_ns_);
  }

  static double median(std::span<std::uint64_t> values) {
    const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
    std::nth_element(values.begin(), middle, values.end());
    return static_cast<double>(*middle);
  }

  // fill_batch() and verify_batch() (or both at once: verify_and_refill) run on every op.
  // They work on locals: a store into an Op could alias a member, which the compiler would
  // then reload and store around every op.
  // A batch is one stretch of the plan, or two where it wraps around: each op's planned op
  // is then found from the stretch, not stored. A workload of gets only, and the common value
  // sizes, get loops of their own (fewer branches per op; a check unrolled).
  void fill_batch() {
    batch_start_ = position_;
    const std::size_t n = ops_.size(), first = ops_before_wrap();
    if (gets_only_) {
      fill_stretch<true>(0, position_, first);
      fill_stretch<true>(first, 0, n - first);
    } else {
      fill_stretch<false>(0, position_, first);
      fill_stretch<false>(first, 0, n - first);
    }
    position_ = position_after(batch_start_, n);
  }

  // Where the plan's next batch of n ops starts after the one that starts at `start`.
  std::size_t position_after(std::size_t start, std::size_t n) const {
    const std::size_t length = schedule_.size(), first = std::min(n, length - start);
    return first < n ? n - first : (start + n == length ? 0 : start + n);
  }

  // ops_[at, at + count) from the plan's ops [from, from + count).
  template <bool kGetsOnly>
  [[gnu::always_inline]] void fill_stretch(std::size_t at, std::size_t from, std::size_t count) {
    Op* const ops = ops_.data() + at;
    const PlannedOp* const planned = schedule_.data() + from;
    for (std::size_t i = 0; i < count; ++i) fill_op<kGetsOnly>(ops[i], planned[i], at + i);
  }

  // ops_[i] from the planned op p.
  template <bool kGetsOnly>
  [[gnu::always_inline]] void fill_op(Op& op, const PlannedOp& p, std::size_t i) {
    op.kind = p.kind;
    op.key = p.key();
    // A strategy that forgets its outputs is then caught, not checked on the last batch's.
    op.found = false;
    op.result = {};
    if (!kGetsOnly && p.kind == OpKind::add) op.delta = kAddDelta;  // one store: no call for it
    if (!kGetsOnly && p.kind == OpKind::put) fill_put(op, p, i);
  }

  void fill_put(Op& op, const PlannedOp& p, std::size_t i) {
    const std::size_t value_size = c_.workload.value_size;
    versions_[i] = put_version(c_.worker, ++put_sequence_);
    char* value = values_.data() + i * value_size;
    fill_value(value, value_size, p.key_hash, versions_[i]);
    op.value = std::string_view(value, value_size);
  }

  struct ValueCheck {
    std::size_t value_size;
    const char* stand_in;  // what is checked in place of an absent value
    std::size_t stand_in_size;
  };

  [[gnu::always_inline]] void verify_batch(bool measuring) {
    if (!check_reads_) return verify_unchecked(measuring);
    verify_checked_(*this, measuring);
  }

  // verify_batch(), then fill_batch(); where neither batch wraps around the plan (all but
  // one batch in a pass over it), in one loop: each op is checked, then refilled, and a get
  // pays for one loop, not two. Measured (callgrind, null-values, batch 16): 52.0 harness
  // instructions a get instead of 55.3; the harness's whole cost 5.0 ns instead of 6.2.
  [[gnu::always_inline]] void verify_and_refill(bool measuring) {
    if (!check_reads_) {
      verify_unchecked(measuring);
      return fill_batch();
    }
    verify_and_refill_checked_(*this, measuring);
  }

  using Verify = void (*)(Worker& worker, bool measuring);

  // The checking loop for this worker's batches, chosen once (not switched on per batch): for
  // its value size, for a workload of gets only, and for a batch of one op (kOne: --batch 1,
  // and an open loop unless --batch is given), whose size is then a constant and which never
  // wraps around the plan, so that it has no loop and no second stretch. At batch 1 that took
  // the check of an mmap-table get from 121 instructions to 70 (callgrind), though not its
  // rate measurably: its cache misses dominate (README: why no table strategy nears its
  // batch-1 limit). With the value size a constant (the common sizes), the compiler unrolls
  // value_is_valid() into a few loads and no branch: at 32 bytes, its loop's compares and
  // branches cost as many instructions as the words it checks.
  template <bool kRefill>
  Verify choose_verify() const {
    return ops_.size() == 1 ? choose_verify_for<kRefill, true>() : choose_verify_for<kRefill, false>();
  }
  template <bool kRefill, bool kOne>
  Verify choose_verify_for() const {
    if (gets_only_) {
      switch (value_size_) {
        case 16: return &verify_with<16, true, kRefill, kOne>;
        case 32: return &verify_with<32, true, kRefill, kOne>;
        case 64: return &verify_with<64, true, kRefill, kOne>;
        default: return &verify_with<0, true, kRefill, kOne>;
      }
    }
    return &verify_with<0, false, kRefill, kOne>;
  }
  // Out of line, called through a plain pointer (a member pointer's call tests for a virtual
  // function on every batch): inlined in the measured loop, the fused loop ran short of
  // registers and spilled (54.1 instructions a get).
  template <std::size_t kValueSize, bool kGetsOnly, bool kRefill, bool kOne>
  [[gnu::noinline]] static void verify_with(Worker& worker, bool measuring) {
    worker.verify_batch_of<kValueSize, kGetsOnly, kRefill, kOne>(measuring);
  }

  // `null`: its reads carry nothing to check; its puts are still recorded. A loop of its own,
  // inlined in the measured loop: behind the checking loops' call, its prologue and spills,
  // null's batch of 1 cost ~70 instructions more and its counter cells a third of their rate.
  [[gnu::always_inline]] void verify_unchecked(bool measuring) {
    const std::size_t n = ops_.size(), first = ops_before_wrap();
    std::uint64_t found = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const Op& op = ops_[i];
      found += op.kind == OpKind::get && op.found ? 1 : 0;
      if (op.kind == OpKind::put) last_written_[schedule_[i < first ? batch_start_ + i : i - first].key_index] = versions_[i];
    }
    count_batch(n, found, measuring);
  }

  template <std::size_t kValueSize, bool kGetsOnly, bool kRefill, bool kOne>  // kValueSize 0: known at run time only
  [[gnu::always_inline]] void verify_batch_of(bool measuring) {
    // A batch of one starts inside the plan, as the next one does: neither wraps around.
    const std::size_t n = kOne ? 1 : ops_.size(), first = kOne ? 1 : ops_before_wrap();
    if (kRefill && (kOne || (first == n && schedule_.size() - position_ >= n))) {
      verify_stretch<kValueSize, kGetsOnly, true>(0, batch_start_, n, schedule_.data() + position_);
      count_batch(n, 0, measuring);
      batch_start_ = position_;
      position_ = position_after(batch_start_, n);
      return;
    }
    verify_stretch<kValueSize, kGetsOnly, false>(0, batch_start_, first, nullptr);
    if (!kOne) verify_stretch<kValueSize, kGetsOnly, false>(first, 0, n - first, nullptr);
    count_batch(n, 0, measuring);  // checked gets that found a value are the plan's (publish_counts)
    if (kRefill) fill_batch();
  }

  // The batch's ops that come from the plan before it wraps around to its start.
  std::size_t ops_before_wrap() const { return std::min(ops_.size(), schedule_.size() - batch_start_); }
  // A verified batch: its n ops executed, its unchecked gets that found a value (in the window).
  void count_batch(std::size_t n, std::uint64_t unchecked_found, bool measuring) {
    executed_ += n;
    if (measuring) window_found_ += unchecked_found;
  }

  // Checks ops_[at, at + count) against the plan's ops [from, from + count). Nothing is
  // counted per op: the plan knows the kinds, and which gets find a value (publish_counts).
  // kRefill: each op, once checked, is filled from refill[i] (the next batch's stretch).
  template <std::size_t kValueSize, bool kGetsOnly, bool kRefill>
  [[gnu::always_inline]] void verify_stretch(std::size_t at, std::size_t from, std::size_t count,
                                             const PlannedOp* refill) {
    const ValueCheck check{kValueSize != 0 ? kValueSize : value_size_, absent_stand_in_.data(),
                           kValueSize != 0 ? kValueSize : absent_stand_in_.size()};
    Op* const ops = ops_.data() + at;
    const PlannedOp* const planned = schedule_.data() + from;
    for (std::size_t i = 0; i < count; ++i) {
      Op& op = ops[i];
      if (kGetsOnly || op.kind == OpKind::get) {
        check_get<kGetsOnly>(op, planned[i], check);
      } else if (op.kind == OpKind::put) {
        last_written_[planned[i].key_index] = versions_[at + i];
      }
      if constexpr (kRefill) fill_op<kGetsOnly>(op, refill[i], at + i);
    }
  }

  // Every get, inline: its answer against the plan, its value against its key and version.
  // Free of branches on the answer: half the gets miss, at random, so a branch on found would
  // be mispredicted every other op. An absent answer is checked against a stand-in (zeros:
  // version 0) and the verdict discarded; above kMaxStandIn bytes, checking the stand-in would
  // cost more than the mispredicted branch, so the stand-in is empty and fails the size check
  // at once. Where nobody puts, a found value's version must be 0, checked in the same
  // verdict. What is wrong is worded out of line.
  template <bool kNoPuts>
  [[gnu::always_inline]] void check_get(const Op& op, const PlannedOp& planned, const ValueCheck& check) {
    const bool found = op.found;
    const std::uintptr_t if_found = 0 - static_cast<std::uintptr_t>(found);  // all ones or zero
    const std::uintptr_t data = (reinterpret_cast<std::uintptr_t>(op.result.data()) & if_found) |
                                (reinterpret_cast<std::uintptr_t>(check.stand_in) & ~if_found);
    const std::size_t size = (op.result.size() & if_found) | (check.stand_in_size & ~if_found);
    std::uint64_t version = 0;
    const bool valid = value_is_valid(std::string_view(reinterpret_cast<const char*>(data), size),
                                      check.value_size, planned.key_hash, &version);
    if constexpr (kNoPuts) {
      if ((found == planned.miss) | (found & !(valid & (version == 0)))) [[unlikely]] {
        return wrong_get(op, planned.miss, valid, version);
      }
    } else {
      if ((found == planned.miss) | (found & !valid)) [[unlikely]] return wrong_get(op, planned.miss, valid, 0);
      if (version != 0) check_writer(op, version);
    }
  }

  [[gnu::noinline, gnu::cold]] void wrong_get(const Op& op, bool planned_miss, bool valid, std::uint64_t version) {
    if (planned_miss) {
      ++found_off_plan_;
      return mismatch(op, "is never written, but get returned a value");
    }
    if (!op.found) {
      --found_off_plan_;
      return mismatch(op, "was preloaded, but get reported it absent");
    }
    if (valid) return check_writer(op, version);
    mismatch(op, "returned " + std::to_string(op.result.size()) + " bytes that are not a value written for this key");
  }

  [[gnu::noinline]] void check_writer(const Op& op, std::uint64_t version) {
    const int writer = version_writer(version);
    const bool written_by_a_worker = c_.workload.needs_put() && writer >= 0 && writer < c_.procs;
    if (!written_by_a_worker) mismatch(op, "returned version " + std::to_string(version) + ", which nobody wrote");
  }

  [[gnu::noinline, gnu::cold]] void mismatch(const Op& op, std::string_view what) {
    if (report_.mismatches++ == 0) {
      copy_message(report_.first_mismatch, "key '" + std::string(op.key) + "' " + std::string(what));
    }
  }

  const ProcessContext& c_;
  WorkerReport& report_;
  std::span<const PlannedOp> schedule_;
  const std::size_t first_position_;  // where this worker starts in the plan
  std::size_t position_;
  std::size_t batch_start_ = 0;  // where the last batch filled began in the plan
  const bool gets_only_;  // the workload neither puts nor adds
  const bool check_reads_;
  const std::size_t value_size_;
  const std::string absent_stand_in_;  // what check_get() checks in place of an absent value
  double clock_read_ns_ = 1;
  std::span<std::uint64_t> last_written_;
  std::unique_ptr<Client> client_;
  std::vector<Op> ops_;
  Verify verify_checked_ = nullptr;  // verify_batch()'s, where reads are checked (choose_verify)
  Verify verify_and_refill_checked_ = nullptr;  // verify_and_refill()'s
  std::vector<std::uint64_t> versions_;
  std::string values_;
  std::uint64_t put_sequence_ = 0;
  std::uint64_t executed_ = 0;  // ops of every batch so far, warm-up and window
  std::uint64_t window_first_op_ = 0;  // executed_ when the window began
  std::uint64_t window_found_ = 0;  // unchecked gets that returned a value, in the window
  // Checked gets whose answer was not the plan's, since the window began: +1 for a value where
  // none was planned, -1 for none where one was (counted where they are found wrong, never
  // per op; modulo 2^64, so that the sum with the plan's count is exact).
  std::uint64_t found_off_plan_ = 0;
};

// Reads the final state back: every counter, every key somebody put, and a sample of the rest.
class Checker {
 public:
  explicit Checker(const ProcessContext& context)
      : c_(context), report_(context.area.check()) {}

  void run() {
    auto client = c_.strategy.connect(c_.worker);
    for (std::uint32_t i = 0; i < c_.workload.counter_keys; ++i) {
      report_.counter_sum += client->add(counter_key(i), 0);
    }
    const std::uint64_t keys = c_.area.tracked_keys();
    constexpr std::uint64_t kUnwrittenSample = 10'000;
    const std::uint64_t stride = std::max<std::uint64_t>(1, keys / kUnwrittenSample);
    std::vector<Op> batch;
    std::vector<std::uint64_t> indexes;
    std::vector<std::array<char, kMaxKeySize>> key_text(kBatch);
    batch.reserve(kBatch);
    for (std::uint64_t k = 0; k < keys; ++k) {
      if (!written_by_anyone(k) && k % stride != 0) continue;
      Op op;
      op.kind = OpKind::get;
      char* text = key_text[batch.size()].data();
      op.key = std::string_view(text, format_data_key(k, false, text));
      batch.push_back(std::move(op));
      indexes.push_back(k);
      if (batch.size() == kBatch) {
        client->execute(batch);
        for (std::size_t i = 0; i < batch.size(); ++i) check_final(batch[i], indexes[i]);
        batch.clear();
        indexes.clear();
      }
    }
    if (!batch.empty()) {
      client->execute(batch);
      for (std::size_t i = 0; i < batch.size(); ++i) check_final(batch[i], indexes[i]);
    }
    report_.state.store(ReportState::done, std::memory_order_release);
  }

 private:
  static constexpr std::size_t kBatch = 256;

  bool written_by_anyone(std::uint64_t k) const {
    for (int w = 0; w < c_.procs; ++w) {
      if (c_.area.last_written(w)[k] != 0) return true;
    }
    return false;
  }

  void check_final(const Op& op, std::uint64_t k) {
    ++report_.keys_checked;
    std::uint64_t version = 0;
    if (!op.found || !value_is_valid(op.result, c_.workload.value_size, value_key_hash(op.key),
                                     &version)) {
      if (report_.invalid_values++ == 0) {
        copy_message(report_.first_problem,
                     "key '" + std::string(op.key) + "' holds no valid value at the end");
      }
      return;
    }
    bool written = false;
    for (int w = 0; w < c_.procs; ++w) {
      const std::uint64_t last = c_.area.last_written(w)[k];
      written |= last != 0;
      if (last != 0 && last == version) return;
    }
    if (!written && version == 0) return;
    if (report_.lost_puts++ == 0) {
      copy_message(report_.first_problem, "key '" + std::string(op.key) + "' ends at version " +
                                              std::to_string(version) +
                                              ", not the last put of any worker");
    }
  }

  const ProcessContext& c_;
  CheckReport& report_;
};

// Runs body(); an exception becomes the report's error and exit status 1.
template <typename Body>
int report_failures(char (&error)[kMessageSize], std::atomic<ReportState>& state, Body body) {
  try {
    body();
    return 0;
  } catch (const std::exception& e) {
    copy_message(error, e.what());
  } catch (...) {
    copy_message(error, "unknown exception");
  }
  state.store(ReportState::failed, std::memory_order_release);
  return 1;
}

}  // namespace

std::uint32_t choose_latency_one_in(double batch_ns, double clock_read_ns) {
  const double wanted = 2 * clock_read_ns / (kTimingBudget * std::max(batch_ns, 1.0));
  const double capped = std::clamp(std::ceil(wanted), 1.0, static_cast<double>(kMaxLatencyOneIn));
  return static_cast<std::uint32_t>(std::bit_ceil(static_cast<std::uint64_t>(capped)));
}

int worker_process_main(const ProcessContext& context) {
  WorkerReport& report = context.area.worker(context.worker);
  return report_failures(report.error, report.state, [&] { Worker(context).run(); });
}

int checker_process_main(const ProcessContext& context) {
  CheckReport& report = context.area.check();
  return report_failures(report.error, report.state, [&] { Checker(context).run(); });
}

}  // namespace sharebench
