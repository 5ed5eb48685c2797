#include "harness/runner.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <thread>

#include "common/child_process.hpp"
#include "common/cpu.hpp"
#include "common/error.hpp"
#include "common/os.hpp"
#include "harness/cell_cpu.hpp"
#include "harness/report.hpp"
#include "harness/shared_area.hpp"
#include "harness/worker.hpp"

namespace sharebench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

volatile sig_atomic_t g_interrupt_signal = 0;

// The first signal asks for an orderly stop; a second one, if the stop takes too long for
// the user, ends the process the default way.
void on_interrupt(int signal_number) {
  if (g_interrupt_signal != 0) {
    ::signal(signal_number, SIG_DFL);
    ::raise(signal_number);
  }
  g_interrupt_signal = signal_number;
}

// The processes of one cell. Whatever happens, none of them outlives it.
class ChildGroup {
 public:
  template <typename ChildMain>
  void spawn(ChildMain child_main) {
    children_.push_back(ChildProcess::spawn(child_main));
  }
  std::size_t size() const { return children_.size(); }
  ChildProcess& operator[](std::size_t i) { return children_[i]; }
  const ChildProcess& operator[](std::size_t i) const { return children_[i]; }

  // The index of a child that has exited, if any (reaping it).
  std::optional<std::size_t> poll_exited() {
    for (std::size_t i = 0; i < children_.size(); ++i) {
      if (!children_[i].exited() && children_[i].poll()) return i;
    }
    return std::nullopt;
  }
  bool all_exited() {
    return std::all_of(children_.begin(), children_.end(), [](ChildProcess& c) { return c.poll(); });
  }
  // Waits until every child has exited or the deadline passes; returns the ones still alive.
  std::vector<std::size_t> reap_until(Clock::time_point deadline) {
    while (!all_exited() && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(2));
    std::vector<std::size_t> alive;
    for (std::size_t i = 0; i < children_.size(); ++i) {
      if (!children_[i].exited()) alive.push_back(i);
    }
    return alive;
  }
  void kill_and_reap() noexcept {
    for (ChildProcess& c : children_) c.kill_and_reap();
  }

 private:
  std::vector<ChildProcess> children_;
};

// Calls teardown() when the cell ends, however it ends.
class TeardownGuard {
 public:
  explicit TeardownGuard(Strategy& strategy) : strategy_(strategy) {}
  TeardownGuard(const TeardownGuard&) = delete;
  TeardownGuard& operator=(const TeardownGuard&) = delete;
  ~TeardownGuard() { strategy_.teardown(); }

 private:
  Strategy& strategy_;
};

class CellFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class CellExecution {
 public:
  CellExecution(const CellSpec& cell, const RunSettings& settings, Strategy& strategy,
                CellResult& result)
      : cell_(cell),
        settings_(settings),
        strategy_(strategy),
        result_(result),
        area_(cell.procs, cell.workload->needs_put() ? cell.workload->keys : 0) {}

  void run() {
    const Capabilities caps = strategy_.capabilities();
    const std::vector<int> cpus = allowed_cpus();
    std::size_t placed = 0;  // helpers first, then workers
    for (pid_t helper : strategy_.helper_processes()) {
      const int cpu = cpu_for(settings_.pin, placed++, cpus);
      if (cpu >= 0) pin_process(helper, cpu);  // best effort: a thread may be ending
      result_.helper_cpus.push_back(cpu);
    }
    result_.per_process.resize(static_cast<std::size_t>(cell_.procs));
    for (int w = 0; w < cell_.procs; ++w) {
      ProcessContext context{strategy_, caps,        *cell_.workload, *cell_.schedule, settings_,
                             area_,     cell_.procs, w,               ::getpid()};
      context.cpu = cpu_for(settings_.pin, placed++, cpus);
      result_.per_process[static_cast<std::size_t>(w)].cpu = context.cpu;
      workers_.spawn([context] { return worker_process_main(context); });
    }
    ControlBlock& control = area_.control();
    wait_for("connect", settings_.connect_timeout, [&] {
      return control.ready.load(std::memory_order_acquire) == static_cast<std::uint32_t>(cell_.procs);
    });
    if (settings_.warmup.count() > 0) {
      area_.set_phase(Phase::warmup);
      sleep_for(settings_.warmup);
    }
    CellCpuMeter cpu;
    cpu.start();
    area_.set_phase(Phase::measure);
    window_started_ = true;
    const auto window_start = Clock::now();
    measure_window(settings_.duration);
    area_.set_phase(Phase::stop);
    result_.window_seconds = std::chrono::duration<double>(Clock::now() - window_start).count();

    wait_for("stop", settings_.stop_grace, [&] {
      for (int w = 0; w < cell_.procs; ++w) {
        if (area_.worker(w).state.load(std::memory_order_acquire) != ReportState::done) return false;
      }
      return true;
    });
    result_.cell_cpu = cpu.stop(worker_pids());  // after the batches that end the window
    extend_window_to_last_batch(window_start);
    sample_memory();
    area_.set_phase(Phase::exit);
    const auto stuck = workers_.reap_until(Clock::now() + settings_.stop_grace);
    if (!stuck.empty()) {
      throw CellFailure("worker " + std::to_string(stuck.front()) + " did not exit within " +
                        std::to_string(settings_.stop_grace.count()) + " ms after the window");
    }
    for (std::size_t w = 0; w < workers_.size(); ++w) {
      if (!workers_[w].exited_cleanly()) throw CellFailure(worker_failure(w));
    }
    merge_workers();
    if (interrupted_) {
      throw CellFailure("interrupted by " + signal_name(g_interrupt_signal) + " after " +
                        std::to_string(result_.window_seconds).substr(0, 4) + " s of the window");
    }
    if (result_.ops == 0) {
      throw CellFailure("no batch began in the " + human_ns(static_cast<double>(settings_.duration.count())) +
                        " window (one outlasted it, or none was due): raise --duration or lower --batch");
    }
    // A strategy that holds no data (null) has no final state to check.
    if (caps.holds_data && (cell_.workload->needs_put() || cell_.workload->needs_add())) run_checker(caps);
  }

  // Stops everything after a failure: workers see the exit phase, stragglers are killed.
  void abandon() noexcept {
    area_.set_phase(Phase::exit);
    workers_.reap_until(Clock::now() + milliseconds(1000));
    workers_.kill_and_reap();
  }

 private:
  template <typename Done>
  void wait_for(const char* stage, milliseconds timeout, Done done) {
    const auto deadline = Clock::now() + timeout;
    while (!done()) {
      check_health(/*interruptible=*/!window_started_);
      if (Clock::now() >= deadline) {
        throw CellFailure(std::string("workers did not ") + stage + " within " +
                          std::to_string(timeout.count()) + " ms");
      }
      std::this_thread::sleep_for(milliseconds(1));
    }
  }

  void sleep_for(std::chrono::nanoseconds span) {
    const auto deadline = Clock::now() + span;
    for (auto now = Clock::now(); now < deadline; now = Clock::now()) {
      check_health();
      std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(deadline - now, milliseconds(5)));
    }
  }

  // The window ends early on an interrupt, so that what was measured is kept.
  void measure_window(std::chrono::nanoseconds span) {
    const auto deadline = Clock::now() + span;
    for (auto now = Clock::now(); now < deadline; now = Clock::now()) {
      if (g_interrupt_signal != 0) {
        interrupted_ = true;
        return;
      }
      check_health(false);
      std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(deadline - now, milliseconds(5)));
    }
  }

  // A worker may exit only when told to. Before the window, an interrupt abandons the cell;
  // once the window has started, it only cuts the window short (measure_window).
  void check_health(bool interruptible = true) {
    if (interruptible && g_interrupt_signal != 0) {
      throw CellFailure("interrupted by " + signal_name(g_interrupt_signal));
    }
    if (auto w = workers_.poll_exited()) throw CellFailure(worker_failure(*w));
  }

  std::string worker_failure(std::size_t w) const {
    const WorkerReport& report = area_.worker(static_cast<int>(w));
    if (report.state.load(std::memory_order_acquire) == ReportState::failed) {
      return "worker " + std::to_string(w) + ": " + report.error;
    }
    return "worker " + std::to_string(w) + " " + workers_[w].how_ended();
  }

  std::vector<pid_t> worker_pids() const {
    std::vector<pid_t> pids;
    for (std::size_t w = 0; w < workers_.size(); ++w) pids.push_back(workers_[w].pid());
    return pids;
  }

  void sample_memory() {
    result_.coordinator_pss_kib = pss_kib(::getpid());
    for (std::size_t w = 0; w < workers_.size(); ++w) {
      result_.per_process[w].pss_kib = pss_kib(workers_[w].pid());
    }
    for (pid_t helper : strategy_.helper_processes()) result_.helper_pss_kib.push_back(pss_kib(helper));
    result_.shared_bytes = strategy_.shared_bytes();
  }

  // A batch that began in the window is counted whole, so the window lasts until the last
  // such batch ends: a batch longer than the window then yields its true rate, not its ops
  // over the window alone. Worker clocks are CLOCK_MONOTONIC, which is steady_clock's here.
  void extend_window_to_last_batch(Clock::time_point window_start) {
    for (int w = 0; w < cell_.procs; ++w) {
      const Clock::time_point end{std::chrono::nanoseconds(area_.worker(w).window_end_ns)};
      const double seconds = std::chrono::duration<double>(end - window_start).count();
      result_.window_seconds = std::max(result_.window_seconds, seconds);
    }
  }

  void merge_workers() {
    auto latency = std::make_unique<LatencyHistogram>();
    auto service = std::make_unique<LatencyHistogram>();
    CheckFigures& check = result_.check;
    for (int w = 0; w < cell_.procs; ++w) {
      const WorkerReport& r = area_.worker(w);
      ProcessFigures& p = result_.per_process[static_cast<std::size_t>(w)];
      p.ops = r.ops;
      p.ops_per_second = result_.window_seconds > 0 ? r.ops / result_.window_seconds : 0;
      p.cpu_seconds = static_cast<double>(r.cpu_ns) / 1e9;
      p.latency_one_in = r.latency_one_in;
      result_.ops += r.ops;
      result_.gets += r.gets;
      result_.gets_found += r.gets_found;
      result_.puts += r.puts;
      result_.adds += r.adds;
      result_.cpu_seconds += p.cpu_seconds;
      result_.batch = r.batch;
      result_.clock_cost_ns = std::max(result_.clock_cost_ns, r.clock_cost_ns);
      check.reads_checked += r.reads_checked;
      check.mismatches += r.mismatches;
      if (check.first_problem.empty() && r.mismatches > 0) check.first_problem = r.first_mismatch;
      latency->merge(r.latency);
      service->merge(r.service);
      for (const WorkerReport::Figure& f : r.figures) {
        if (f.name[0] != '\0') result_.strategy_figures[f.name] += f.value;
      }
    }
    result_.latency = summarize(*latency);
    // In closed loop a batch starts when it is due: its service time is its latency.
    result_.service_time = settings_.target_ops_per_second > 0 ? summarize(*service) : result_.latency;
  }

  static LatencySummary summarize(const LatencyHistogram& h) {
    LatencySummary s;
    s.p50 = h.percentile(50);
    s.p90 = h.percentile(90);
    s.p99 = h.percentile(99);
    s.p999 = h.percentile(99.9);
    s.max = h.max();
    s.mean = h.mean();
    s.timed_ops = h.count();
    return s;
  }

  void run_checker(const Capabilities& caps) {
    const ProcessContext context{strategy_, caps,        *cell_.workload, *cell_.schedule, settings_,
                                 area_,     cell_.procs, cell_.procs,     ::getpid()};
    ChildProcess checker = ChildProcess::spawn([context] { return checker_process_main(context); });
    const auto deadline = Clock::now() + settings_.check_timeout;
    while (!checker.poll()) {
      if (g_interrupt_signal != 0) throw CellFailure("interrupted by " + signal_name(g_interrupt_signal));
      if (Clock::now() >= deadline) {
        throw CellFailure("the final-state check did not finish within " +
                          std::to_string(settings_.check_timeout.count()) + " ms");
      }
      std::this_thread::sleep_for(milliseconds(2));
    }
    const CheckReport& r = area_.check();
    if (r.state.load(std::memory_order_acquire) != ReportState::done) {
      throw CellFailure(r.state.load() == ReportState::failed
                            ? std::string("final-state check: ") + r.error
                            : "final-state check " + checker.how_ended());
    }
    CheckFigures& check = result_.check;
    check.final_keys_checked = r.keys_checked;
    check.mismatches += r.invalid_values;
    check.lost_puts = r.lost_puts;
    std::int64_t acknowledged = 0;
    for (int w = 0; w < cell_.procs; ++w) acknowledged += static_cast<std::int64_t>(area_.worker(w).add_total);
    check.lost_adds = acknowledged - r.counter_sum;
    check.lost_updates = check.lost_puts + static_cast<std::uint64_t>(std::max<std::int64_t>(0, check.lost_adds));
    if (check.first_problem.empty()) check.first_problem = r.first_problem;
    if (check.first_problem.empty() && check.lost_adds != 0) {
      check.first_problem = "counters sum to " + std::to_string(r.counter_sum) + ", but " +
                            std::to_string(acknowledged) + " adds were acknowledged";
    }
  }

  const CellSpec& cell_;
  const RunSettings& settings_;
  Strategy& strategy_;
  CellResult& result_;
  SharedArea area_;
  ChildGroup workers_;
  bool window_started_ = false;
  bool interrupted_ = false;
};

// A correct strategy never returns a wrong value or loses a put; it loses adds only if it
// does not claim atomic adds (then the loss is the finding, not a failure).
std::string correctness_failure(const CheckFigures& check, const Capabilities& caps) {
  if (check.mismatches > 0) {
    return std::to_string(check.mismatches) + " mismatched reads; first: " + check.first_problem;
  }
  if (check.lost_puts > 0) return std::to_string(check.lost_puts) + " lost puts; first: " + check.first_problem;
  if (check.lost_adds < 0 || (check.lost_adds > 0 && caps.atomic_add)) {
    return std::to_string(check.lost_adds) + " lost adds: " + check.first_problem;
  }
  return "";
}

}  // namespace

const char* to_string(PinMode mode) {
  switch (mode) {
    case PinMode::none:
      return "none";
    case PinMode::spread:
      return "spread";
    case PinMode::compact:
      return "compact";
  }
  return "?";
}

int cpu_for(PinMode mode, std::size_t k, const std::vector<int>& cpus) {
  if (mode == PinMode::none || cpus.empty()) return -1;
  return mode == PinMode::compact ? cpus.front() : cpus[k % cpus.size()];
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

std::string CellResult::name() const {
  std::string name = strategy + "/" + workload + "/procs:" + std::to_string(procs);
  if (named_value_size) name += "/value:" + value_size_text(value_size);
  if (named_keys) name += "/keys:" + key_count_text(keys);
  return name;
}

const char* to_string(CellStatus status) {
  switch (status) {
    case CellStatus::ok:
      return "ok";
    case CellStatus::skipped:
      return "skipped";
    case CellStatus::failed:
      return "failed";
  }
  return "?";
}

std::string unsupported_reason(const Capabilities& caps, const WorkloadSpec& workload) {
  if (workload.needs_put() && !caps.put) return "strategy does not support put (immutable)";
  if (workload.needs_add() && !caps.add) return "strategy does not support add";
  return "";
}

CellResult run_cell(const CellSpec& cell, const RunSettings& settings) {
  CellResult result;
  result.strategy = std::string(cell.strategy->name);
  result.workload = cell.workload->name;
  result.procs = cell.procs;
  result.keys = cell.workload->keys;
  result.value_size = cell.workload->value_size;
  result.repetition = cell.repetition;
  result.target_ops_per_second = settings.target_ops_per_second;
  auto fail = [&](std::string reason) {
    result.status = CellStatus::failed;
    result.reason = std::move(reason);
    return result;
  };
  if (g_interrupt_signal != 0) return fail("interrupted by " + signal_name(g_interrupt_signal));

  std::unique_ptr<Strategy> strategy;
  try {
    strategy = cell.strategy->make(settings.strategy_options);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  const Capabilities caps = strategy->capabilities();
  if (std::string why = unsupported_reason(caps, *cell.workload); !why.empty()) {
    result.status = CellStatus::skipped;
    result.reason = std::move(why);
    return result;
  }

  TeardownGuard teardown(*strategy);
  try {
    const auto start = Clock::now();
    strategy->prepare(*cell.dataset);
    result.setup_ns = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
  } catch (const Unavailable& e) {
    result.status = CellStatus::skipped;
    result.reason = e.what();
    return result;
  } catch (const std::exception& e) {
    return fail(e.what());
  }

  try {
    CellExecution execution(cell, settings, *strategy, result);
    try {
      execution.run();
    } catch (const std::exception& e) {  // figures merged before the failure are kept
      execution.abandon();
      const std::string helper = strategy->helper_failure();
      return fail(helper.empty() ? e.what() : helper + "; " + e.what());
    }
  } catch (const std::exception& e) {  // the shared area or a fork could not be made
    return fail(e.what());
  }
  if (std::string why = correctness_failure(result.check, caps); !why.empty()) return fail(why);
  return result;
}

void install_interrupt_handlers() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a sleeping coordinator wakes up at once
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // `sharebench | head` must still tear down and write its report
}

int interrupt_signal() { return g_interrupt_signal; }

}  // namespace sharebench
