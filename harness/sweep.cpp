#include "harness/sweep.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "harness/limits.hpp"
#include "harness/warnings.hpp"

namespace sharebench {

namespace {

// One line on stderr, rewritten in place: which cell of how many, time spent, time left.
// Only on a terminal, and never in CI.
class ProgressLine {
 public:
  explicit ProgressLine(std::size_t cells)
      : enabled_(::isatty(STDERR_FILENO) == 1 && std::getenv("CI") == nullptr), cells_(cells) {}
  ~ProgressLine() { clear(); }

  void show(std::size_t done, const std::string& cell) {
    if (!enabled_) return;
    const double elapsed = seconds_since_start();
    std::string eta = "?";
    if (done > 0) eta = clock_text(elapsed / static_cast<double>(done) * static_cast<double>(cells_ - done));
    std::fprintf(stderr, "\r\033[K[%zu/%zu] %s  elapsed %s  ETA %s", done + 1, cells_, cell.c_str(),
                 clock_text(elapsed).c_str(), eta.c_str());
    std::fflush(stderr);
  }
  void clear() {
    if (!enabled_) return;
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }

 private:
  double seconds_since_start() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  static std::string clock_text(double seconds) {
    const auto s = static_cast<long>(seconds + 0.5);
    char text[32];
    std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
    return text;
  }

  const bool enabled_;
  const std::size_t cells_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// Runs every cell, appending each result to report.cells and showing it to the reporters.
void run_cells(const RunPlan& plan, RunReport& report, std::span<Reporter* const> reporters, LimitMeter& limits) {
  const std::size_t cells = plan.workloads.size() * plan.strategies.size() * plan.procs.size() *
                            static_cast<std::size_t>(plan.repetitions);
  ProgressLine progress(cells);
  std::size_t done = 0;
  for (std::size_t w = 0; w < plan.workloads.size(); ++w) {
    const WorkloadSpec& workload = plan.workloads[w];
    const auto unfit = plan.skipped.find({w, nullptr});
    // A dataset that cannot fit is never built: its cells are skipped with the reason.
    std::optional<Dataset> dataset;
    std::optional<OpSchedule> schedule;
    if (unfit == plan.skipped.end()) {
      dataset.emplace(build_dataset(workload));
      schedule.emplace(workload, plan.settings.seed);
    }
    for (const StrategyInfo* strategy : plan.strategies) {
      const auto refused = unfit != plan.skipped.end() ? unfit : plan.skipped.find({w, strategy});
      for (int procs : plan.procs) {
        for (int rep = 0; rep < plan.repetitions; ++rep, ++done) {
          if (interrupt_signal() != 0) {
            report.partial = true;
            return;
          }
          CellResult result;
          result.strategy = std::string(strategy->name);
          result.workload = workload.name;
          result.procs = procs;
          result.keys = workload.keys;
          result.value_size = workload.value_size;
          result.named_value_size = plan.sweeps_value_size;
          result.named_keys = plan.sweeps_keys;
          if (refused != plan.skipped.end()) {
            result.status = CellStatus::skipped;
            result.reason = refused->second;
          } else {
            progress.show(done, result.name() + " rep " + std::to_string(rep + 1) + "/" +
                                    std::to_string(plan.repetitions));
            result = run_cell(CellSpec{strategy, &workload, &*dataset, &*schedule, procs, rep}, plan.settings);
            result.named_value_size = plan.sweeps_value_size;
            result.named_keys = plan.sweeps_keys;
            if (plan.measure_limits) {  // measured moments after the cell, on the same data
              const CellLimit limit = limits.limit_of(result, *strategy, workload, *dataset, *schedule);
              result.limit_ops_per_second = limit.ops_per_second;
              result.limit_mechanism = limit.mechanism;
            }
          }
          report.cells.push_back(std::move(result));
          progress.clear();
          for (Reporter* r : reporters) r->cell(report.cells.back());
          if (report.cells.back().status == CellStatus::skipped) {  // the same for every repetition
            done += static_cast<std::size_t>(plan.repetitions - rep - 1);
            break;
          }
        }
      }
    }
  }
  if (interrupt_signal() != 0) report.partial = true;
}

// `strategy`'s ns per op with one worker at `batch`, on `keys` keys: with `null`, what the
// harness's loop costs; with `null-values`, that plus its own execute() (the whole cell).
// The best of three short cells, as execute() alone is the best of three rounds: one cell's
// mean counted the bursts of load on this machine as harness (null-values at batch 16: 4 to
// 11 ns in runs moments apart; null at batch 1: 6 to 10 ns). 0 if a cell failed.
double measure_cell_ns(const RunSettings& settings, std::size_t batch, const char* strategy, const Dataset& dataset,
                       const OpSchedule& schedule, const WorkloadSpec& workload) {
  RunSettings quick = settings;
  quick.duration = std::chrono::milliseconds(40);
  quick.warmup = std::chrono::milliseconds(10);
  quick.batch = batch;
  quick.latency_one_in = 0;
  quick.target_ops_per_second = 0;
  quick.pin = PinMode::none;
  double best = 0;
  for (int round = 0; round < 3; ++round) {
    const CellResult r = run_cell(CellSpec{find_strategy(strategy), &workload, &dataset, &schedule, 1, 0}, quick);
    if (r.status != CellStatus::ok) return 0;
    best = round == 0 ? r.ns_per_op() : std::min(best, r.ns_per_op());
  }
  return best;
}

// `strategy`'s own execute() alone, in this process: the schedule's first ops, filled once,
// executed again and again in batches of `batch` with nothing around them (no fill, no check),
// the best of three 20 ms rounds. ns per op; 0 if it failed.
double measure_execute_alone(const RunSettings& settings, std::size_t batch, const char* strategy,
                             const Dataset& dataset, const OpSchedule& schedule) {
  try {
    const std::unique_ptr<Strategy> s = find_strategy(strategy)->make(settings.strategy_options);
    s->prepare(dataset);
    const std::unique_ptr<Client> client = s->connect(0);
    std::vector<Op> ops(std::min<std::size_t>(1024, schedule.ops().size()) / batch * batch);
    for (std::size_t i = 0; i < ops.size(); ++i) ops[i].key = schedule.ops()[i].key();
    const auto pass = [&] {
      for (std::size_t at = 0; at < ops.size(); at += batch) client->execute(std::span<Op>(ops.data() + at, batch));
    };
    pass();  // first touches
    double best = 0;
    for (int round = 0; round < 3; ++round) {
      using Clock = std::chrono::steady_clock;
      const auto start = Clock::now();
      std::uint64_t done = 0;
      while (Clock::now() - start < std::chrono::milliseconds(20)) {
        pass();
        done += ops.size();
      }
      const double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count() / static_cast<double>(done);
      if (best == 0 || ns < best) best = ns;
    }
    s->teardown();
    return best;
  } catch (const std::exception&) {
    return 0;
  }
}

struct HarnessCosts {
  double loop_ns = 0;  // `null`'s ns per op
  double whole_ns = 0;  // null-values' cell less its own execute(): what the harness costs around a get
  double execute_ns = 0;  // null-values' own execute() alone
};

HarnessCosts measure_harness_costs(const RunSettings& settings, std::size_t batch) {
  HarnessCosts costs;
  WorkloadSpec workload = *find_workload("read");
  workload.keys = 100'000;
  {
    const Dataset dataset = build_dataset(workload);
    const OpSchedule schedule(workload, settings.seed);
    costs.loop_ns = measure_cell_ns(settings, batch, "null", dataset, schedule, workload);
  }
  // Few keys, so that the values it copies are in cache: what is left is the harness's work.
  workload.keys = 1'000;
  const Dataset dataset = build_dataset(workload);
  const OpSchedule schedule(workload, settings.seed);
  const double cell = measure_cell_ns(settings, batch, "null-values", dataset, schedule, workload);
  costs.execute_ns = measure_execute_alone(settings, batch, "null-values", dataset, schedule);
  if (cell > 0 && costs.execute_ns > 0) costs.whole_ns = std::max(cell - costs.execute_ns, 0.0);
  return costs;
}

}  // namespace

RunReport run_plan(const RunPlan& plan, RunContext context, std::span<Reporter* const> reporters) {
  RunReport report;
  report.context = std::move(context);
  RunContext& c = report.context;
  if (plan.calibrate) {
    c.calibrated = true;
    c.calibration = measure_calibration();
    const HarnessCosts at_1 = measure_harness_costs(plan.settings, 1), at_16 = measure_harness_costs(plan.settings, 16);
    c.harness_overhead_ns_batch_1 = at_1.loop_ns;
    c.harness_overhead_ns_batch_16 = at_16.loop_ns;
    c.harness_whole_cost_ns_batch_1 = at_1.whole_ns;
    c.harness_whole_cost_ns_batch_16 = at_16.whole_ns;
    c.null_values_execute_ns_batch_1 = at_1.execute_ns;
    c.null_values_execute_ns_batch_16 = at_16.execute_ns;
  }
  c.pinning = to_string(plan.settings.pin);
  c.cpus = allowed_cpus();
  c.target_ops_per_second = plan.settings.target_ops_per_second;
  report.settings = plan.described;
  report.repetitions = plan.repetitions;
  report.sweeps_value_size = plan.sweeps_value_size;
  report.sweeps_keys = plan.sweeps_keys;
  report.warnings = start_warnings(c, plan.procs, plan.warnings);

  install_interrupt_handlers();
  for (Reporter* r : reporters) r->context(report);
  LimitMeter limits(plan.settings, plan.repetitions > 1);
  run_cells(plan, report, reporters, limits);
  c.limits_measured = plan.measure_limits;
  c.limits_per_repetition = plan.measure_limits && plan.repetitions > 1;
  c.limits_seconds = limits.seconds_measuring();
  c.limit_floors = limits.floors();
  report.aggregates = aggregate_repetitions(report.cells);
  for (std::string& w : result_warnings(report)) report.warnings.push_back(std::move(w));
  for (Reporter* r : reporters) r->finish(report);
  return report;
}

}  // namespace sharebench
