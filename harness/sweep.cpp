#include "harness/sweep.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "harness/statistics.hpp"

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

}  // namespace

void run_sweep(const RunPlan& plan, RunReport& report, ConsoleTable& table) {
  report.repetitions = plan.repetitions;
  const std::size_t cells = plan.workloads.size() * plan.strategies.size() * plan.procs.size() *
                            static_cast<std::size_t>(plan.repetitions);
  ProgressLine progress(cells);
  std::size_t done = 0;
  for (const WorkloadSpec& workload : plan.workloads) {
    const Dataset dataset = build_dataset(workload);
    const OpSchedule schedule(workload, plan.settings.seed);
    for (const StrategyInfo* strategy : plan.strategies) {
      for (int procs : plan.procs) {
        for (int rep = 0; rep < plan.repetitions; ++rep, ++done) {
          if (interrupt_signal() != 0) {
            report.partial = true;
            return;
          }
          progress.show(done, std::string(strategy->name) + "/" + workload.name + "/procs:" + std::to_string(procs) +
                                  " rep " + std::to_string(rep + 1) + "/" + std::to_string(plan.repetitions));
          const CellSpec cell{strategy, &workload, &dataset, &schedule, procs, rep};
          report.cells.push_back(run_cell(cell, plan.settings));
          progress.clear();
          table.row(report.cells.back());
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

double measure_harness_overhead(const RunSettings& settings, std::size_t batch) {
  WorkloadSpec workload = *find_workload("read");
  workload.keys = 100'000;
  const Dataset dataset = build_dataset(workload);
  const OpSchedule schedule(workload, settings.seed);
  RunSettings quick = settings;
  quick.duration = std::chrono::milliseconds(300);
  quick.warmup = std::chrono::milliseconds(100);
  quick.batch = batch;
  quick.latency_one_in = 0;
  quick.target_ops_per_second = 0;
  quick.pin = PinMode::none;
  const CellResult r = run_cell(CellSpec{find_strategy("null"), &workload, &dataset, &schedule, 1, 0}, quick);
  return r.status == CellStatus::ok ? r.ns_per_op() : 0;
}

std::vector<std::string> run_warnings(const RunPlan& plan, const RunReport& report) {
  std::vector<std::string> warnings;
  const RunContext& c = report.context;
  if (c.build_type != "Release" && c.build_type != "RelWithDebInfo") {
    warnings.push_back("sharebench was built as " + (c.build_type.empty() ? "an unoptimized build" : c.build_type) +
                       "; timings will be slow (build with -DCMAKE_BUILD_TYPE=Release)");
  }
  if (!c.sanitizers.empty()) {
    warnings.push_back("sharebench was built with sanitizers (" + c.sanitizers + "); timings are not representative");
  }
  const int max_procs = plan.procs.empty() ? 0 : *std::max_element(plan.procs.begin(), plan.procs.end());
  if (max_procs > c.num_cpus) {
    warnings.push_back("procs " + std::to_string(max_procs) + " > " + std::to_string(c.num_cpus) +
                       " online CPUs: workers share cores and figures include time-slicing");
  }
  if (!c.scaling_governor.empty() && c.scaling_governor != "performance") {
    warnings.push_back("CPU frequency scaling governor is '" + c.scaling_governor +
                       "', not 'performance': figures may vary with clock speed");
  }
  // The spread of a cell's repetitions says how far to trust the cell.
  for (const CellAggregates& a : report.aggregates) {
    if (a.ok > 1 && a.items_per_second.cv > 0.05) {
      const CellResult& first = report.cells[a.first];
      char line[200];
      std::snprintf(line, sizeof line, "%s/%s/procs:%d varies by %.1f%% (cv of ops/s) across %zu repetitions",
                    first.strategy.c_str(), first.workload.c_str(), first.procs, 100 * a.items_per_second.cv, a.ok);
      warnings.push_back(line);
    }
  }
  for (const CellResult& cell : report.cells) {
    if (cell.status == CellStatus::ok && cell.ops < 10'000) {
      warnings.push_back(cell.strategy + "/" + cell.workload + "/procs:" + std::to_string(cell.procs) + " ran only " +
                         std::to_string(cell.ops) + " ops (< 10000): too few for stable figures; raise --duration");
    }
  }
  return warnings;
}

}  // namespace sharebench
