#include "harness/report.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <utility>

#include "common/error.hpp"
#include "harness/histogram.hpp"
#include "harness/workload.hpp"

namespace sharebench {
namespace {

using nlohmann::json;

// The floors the run measured: each cell's limit_mechanism names one (or, for a mix, several).
json floors_json(const RunContext& c) {
  json floors = json::array();
  for (const MeasuredFloor& f : c.limit_floors) {
    floors.push_back({{"mechanism", f.mechanism},
                      {"workload", f.workload.empty() ? json(nullptr) : json(f.workload)},
                      {"value_size", f.workload.empty() ? json(nullptr) : json(f.value_size)},
                      {"keys", f.workload.empty() ? json(nullptr) : json(f.keys)},
                      {"ops_per_second", f.ops_per_second > 0 ? json(f.ops_per_second) : json(nullptr)},
                      {"seconds", f.seconds},
                      {"measurements", f.measurements}});
  }
  return floors;
}

json context_json(const RunReport& report) {
  const RunContext& c = report.context;
  json caches = json::array();
  for (const CacheInfo& cache : c.caches) {
    json entry = {{"type", cache.type}, {"level", cache.level}, {"size", cache.size}};
    if (cache.num_sharing > 0) entry["num_sharing"] = cache.num_sharing;
    caches.push_back(std::move(entry));
  }
  // --no-calibration: the start-of-run figures were not measured.
  const auto if_calibrated = [&](json measured) { return c.calibrated ? measured : json(nullptr); };
  return {
      // Google Benchmark's context fields.
      {"date", c.date},
      {"host_name", c.host_name},
      {"executable", c.executable},
      {"num_cpus", c.num_cpus},
      {"mhz_per_cpu", static_cast<int>(c.mhz_per_cpu)},
      {"cpu_scaling_enabled", !c.scaling_governor.empty() && c.scaling_governor != "performance"},
      {"caches", caches},
      {"load_avg", c.load_avg},
      {"library_build_type", c.build_type == "Debug" ? "debug" : "release"},
      {"json_schema_version", 1},
      // sharebench's own.
      {"sharebench_schema_version", kReportSchemaVersion},
      {"cpu_model", c.cpu_model},
      {"kernel", c.kernel},
      {"scaling_governor", c.scaling_governor},
      {"build_type", c.build_type},
      {"compiler", c.compiler},
      {"compile_flags", c.compile_flags},
      {"sanitizers", c.sanitizers},
      {"git_revision", c.git_revision},
      {"git_dirty", c.git_dirty},
      {"command_line", c.command_line},
      {"python", {{"runtime", c.python_runtime}, {"executable", c.python_executable}}},
      {"calibration", if_calibrated({{"what", "std::unordered_map<std::string, std::string> lookups of present keys, 1 thread"},
                                     {"lookups_per_second", c.calibration.lookups_per_second},
                                     {"rounds", c.calibration.rounds},
                                     {"min", c.calibration.min},
                                     {"max", c.calibration.max},
                                     {"cv", c.calibration.cv}})},
      {"harness_overhead_ns",
       if_calibrated({{"batch_1", c.harness_overhead_ns_batch_1}, {"batch_16", c.harness_overhead_ns_batch_16}})},
      {"harness_whole_cost_ns",
       if_calibrated({{"batch_1", c.harness_whole_cost_ns_batch_1}, {"batch_16", c.harness_whole_cost_ns_batch_16}})},
      {"null_values_execute_ns",
       if_calibrated({{"batch_1", c.null_values_execute_ns_batch_1}, {"batch_16", c.null_values_execute_ns_batch_16}})},
      {"limits",
       {{"measured", c.limits_measured},
        {"per_repetition", c.limits_per_repetition},
        {"seconds", c.limits_seconds},
        {"floors", floors_json(c)}}},
      {"pinning", {{"mode", c.pinning}, {"cpus", c.cpus}}},
      {"load",
       {{"mode", c.target_ops_per_second > 0 ? "open" : "closed"}, {"target_ops_per_second", c.target_ops_per_second}}},
      {"settings", report.settings},
      {"partial", report.partial},
      {"warnings", report.warnings},
  };
}

// A figure that may be absent: null rather than 0.
json figure_or_null(double value) { return value > 0 ? json(value) : json(nullptr); }

json summary_json(const LatencySummary& s) {
  return {{"p50", s.p50}, {"p90", s.p90}, {"p99", s.p99}, {"p999", s.p999}, {"max", s.max}, {"mean", s.mean}};
}

json cell_json(const CellResult& c) {
  const double ns_per_op = c.ns_per_op();
  const double cpu_ns_per_op = c.cpu_ns_per_op();
  std::uint32_t one_in = 0;
  json per_process = json::array();
  json worker_pss = json::array();
  for (const ProcessFigures& p : c.per_process) {
    one_in = std::max(one_in, p.latency_one_in);
    per_process.push_back({{"ops", p.ops},
                           {"ops_per_second", p.ops_per_second},
                           {"cpu_time_s", p.cpu_seconds},
                           {"latency_one_in", p.latency_one_in},
                           {"pss_kib", p.pss_kib},
                           {"cpu", p.cpu}});
    worker_pss.push_back(p.pss_kib);
  }
  json entry = {
      {"name", c.name()},
      {"run_name", c.name()},
      {"run_type", "iteration"},
      {"repetition_index", c.repetition},
      {"threads", c.procs},
      {"iterations", c.ops},
      {"real_time", ns_per_op},
      {"cpu_time", cpu_ns_per_op},
      {"time_unit", "ns"},
      {"items_per_second", c.ops_per_second()},
      {"cell_cpu_seconds", c.cell_cpu_seconds()},
      {"cell_cpu_ns_per_op", c.cell_cpu_ns_per_op()},
      {"ops_per_cpu_second", c.ops_per_cpu_second()},
      {"cell_cpu",
       {{"workers_s", c.cell_cpu.workers_seconds},
        {"helpers_s", c.cell_cpu.helpers_seconds},
        {"processes", c.cell_cpu.processes},
        {"coordinator_s", c.cell_cpu.coordinator_seconds},
        {"snapshot_ns", c.cell_cpu.snapshot_ns},
        {"scan_ns", c.cell_cpu.scan_ns}}},
      {"bytes_per_second", c.bytes_per_second()},
      {"limit_ops_per_second", figure_or_null(c.limit_ops_per_second)},
      {"efficiency", figure_or_null(c.efficiency())},
      {"limit_mechanism", c.limit_ops_per_second > 0 ? json(c.limit_mechanism) : json(nullptr)},
      {"strategy", c.strategy},
      {"workload", c.workload},
      {"procs", c.procs},
      {"value_size", c.value_size},
      {"keys", c.keys},
      {"status", to_string(c.status)},
      {"reason", c.reason},
      {"window_s", c.window_seconds},
      {"ops", {{"get", c.gets}, {"get_found", c.gets_found}, {"put", c.puts}, {"add", c.adds}}},
      {"batch", c.batch},
      {"latency_ns", summary_json(c.latency)},
      {"service_time_ns", summary_json(c.service_time)},
      {"latency_sampling",
       {{"one_in", one_in},
        {"timed_ops", c.latency.timed_ops},
        {"clock_cost_ns", c.clock_cost_ns},
        {"significant_digits", LatencyHistogram::kSignificantDigits}}},
      {"setup_ns", c.setup_ns},
      {"memory",
       {{"pss_kib",
         {{"coordinator", c.coordinator_pss_kib}, {"workers", worker_pss}, {"helpers", c.helper_pss_kib}}},
        {"shared_bytes", c.shared_bytes}}},
      {"helper_cpus", c.helper_cpus},
      {"check",
       {{"reads_checked", c.check.reads_checked},
        {"mismatches", c.check.mismatches},
        {"lost_updates", c.check.lost_updates},
        {"lost_puts", c.check.lost_puts},
        {"lost_adds", c.check.lost_adds},
        {"final_keys_checked", c.check.final_keys_checked},
        {"first_problem", c.check.first_problem}}},
      {"per_process", per_process},
      {"strategy_figures", c.strategy_figures},
  };
  if (c.open_loop()) {
    entry["target_ops_per_second"] = c.target_ops_per_second;
    entry["target_met"] = c.target_met();
  }
  if (c.status != CellStatus::ok) {
    // Google Benchmark marks a run that did not complete this way.
    entry["error_occurred"] = true;
    entry["error_message"] = c.reason;
  }
  return entry;
}

// The _mean, _median, _stddev and _cv entries of one cell's repetitions, shaped as Google
// Benchmark shapes them, over the repetitions that ran ok.
std::vector<json> aggregate_entries(const CellAggregates& a, const CellResult& first, int repetitions) {
  if (a.ok == 0) return {};
  const std::string base = first.name();
  std::vector<json> entries;
  for (const char* name : {"mean", "median", "stddev", "cv"}) {
    auto pick = [&](const Aggregate& of) {
      const std::string n = name;
      return n == "mean" ? of.mean : n == "median" ? of.median : n == "stddev" ? of.stddev : of.cv;
    };
    entries.push_back({
        {"name", base + "_" + name},
        {"run_name", base},
        {"run_type", "aggregate"},
        {"repetitions", repetitions},
        {"threads", first.procs},
        {"aggregate_name", name},
        {"aggregate_unit", std::string(name) == "cv" ? "percentage" : "time"},
        {"iterations", a.ok},
        {"real_time", pick(a.real_time)},
        {"cpu_time", pick(a.cpu_time)},
        {"time_unit", "ns"},
        {"items_per_second", pick(a.items_per_second)},
        {"cell_cpu_ns_per_op", pick(a.cell_cpu_time)},
        {"ops_per_cpu_second", pick(a.ops_per_cpu_second)},
        {"bytes_per_second", pick(a.bytes_per_second)},
        {"strategy", first.strategy},
        {"workload", first.workload},
        {"procs", first.procs},
        {"value_size", first.value_size},
        {"keys", first.keys},
        {"repetitions_ok", a.ok},
        {"latency_ns", {{"p50", pick(a.latency_p50)}, {"p99", pick(a.latency_p99)}, {"p999", pick(a.latency_p999)}}},
    });
    // Each repetition has its own limit (limits.hpp): these are aggregates of theirs, and of
    // their efficiencies, each a ratio taken moments apart. A spread (stddev, cv) of efficiency
    // is left out: the cv of ops/s and of the limit say it.
    const bool central = std::string(name) == "mean" || std::string(name) == "median";
    entries.back()["limit_ops_per_second"] = a.limited > 0 ? json(pick(a.limit)) : json(nullptr);
    entries.back()["efficiency"] = central && a.limited > 0 ? json(pick(a.efficiency)) : json(nullptr);
  }
  return entries;
}

json to_json(const RunReport& report, bool aggregates_only) {
  json benchmarks = json::array();
  // A family is a strategy/workload pair; its instances are its cells (procs, and the sizes a
  // sweep varies), in run order.
  // The repetitions of a cell are consecutive in report.cells; its aggregates follow them.
  std::map<std::string, std::pair<int, std::map<std::string, int>>> families;
  for (const CellAggregates& a : report.aggregates) {
    const CellResult& c = report.cells[a.first];
    auto [family, inserted] = families.try_emplace(c.strategy + "/" + c.workload,
                                                   static_cast<int>(families.size()), std::map<std::string, int>{});
    auto& instances = family->second.second;
    const int instance = instances.try_emplace(c.name(), static_cast<int>(instances.size())).first->second;
    std::vector<json> entries;
    if (!aggregates_only || report.repetitions == 1) {
      for (std::size_t i = a.first; i < a.first + a.count; ++i) entries.push_back(cell_json(report.cells[i]));
    }
    if (report.repetitions > 1) {
      for (json& entry : aggregate_entries(a, c, report.repetitions)) entries.push_back(std::move(entry));
    }
    for (json& entry : entries) {
      entry["family_index"] = family->second.first;
      entry["per_family_instance_index"] = instance;
      if (!entry.contains("repetitions")) entry["repetitions"] = report.repetitions;
      benchmarks.push_back(std::move(entry));
    }
  }
  return {{"context", context_json(report)}, {"benchmarks", benchmarks}};
}

// Where the report for --out `path` goes: the target of a symlink, else the path itself.
std::string report_destination(const std::string& path) {
  std::error_code ec;
  // Replace the file a symlink points to, not the link.
  const auto target = std::filesystem::canonical(path, ec);
  return ec ? path : target.string();
}

}  // namespace

void check_writable(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  std::error_code ec;
  if (fs::is_directory(p, ec)) throw Error("cannot write --out '" + path + "': it is a directory");
  if (!fs::is_directory(dir, ec)) {
    throw Error("cannot write --out '" + path + "': directory '" + dir.string() + "' does not exist");
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    throw Error("cannot write --out '" + path + "': directory '" + dir.string() + "' is not writable");
  }
  if (fs::exists(p, ec) && ::access(p.c_str(), W_OK) != 0) {
    throw Error("cannot write --out '" + path + "': file is not writable");
  }
  if (fs::exists(p, ec) && !fs::is_regular_file(p, ec)) {
    throw Error("cannot write --out '" + path + "': not a regular file (the report is written by a rename)");
  }
}

void JsonReporter::finish(const RunReport& report) {
  const std::string path = report_destination(path_);
  // Messages and paths may hold bytes that are not UTF-8: they are replaced, not fatal.
  const std::string text =
      to_json(report, aggregates_only_).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    if (!out) throw Error("cannot write report '" + temp + "'");
    out << text;
    out.flush();
    if (!out) {
      std::remove(temp.c_str());
      throw Error("cannot write report '" + temp + "' (disk full?)");
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    throw Error("cannot rename report into '" + path + "'");
  }
}

std::string human_rate(double per_second) {
  char buffer[32];
  if (per_second >= 1e9) {
    std::snprintf(buffer, sizeof buffer, "%.2f G", per_second / 1e9);
  } else if (per_second >= 1e6) {
    std::snprintf(buffer, sizeof buffer, "%.2f M", per_second / 1e6);
  } else if (per_second >= 1e3) {
    std::snprintf(buffer, sizeof buffer, "%.1f k", per_second / 1e3);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.0f", per_second);
  }
  return buffer;
}

std::string human_ns(double ns) {
  char buffer[32];
  if (ns >= 1e9) {
    std::snprintf(buffer, sizeof buffer, "%.2f s", ns / 1e9);
  } else if (ns >= 1e6) {
    std::snprintf(buffer, sizeof buffer, "%.2f ms", ns / 1e6);
  } else if (ns >= 1e3) {
    std::snprintf(buffer, sizeof buffer, "%.2f us", ns / 1e3);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.0f ns", ns);
  }
  return buffer;
}

// One line of the table, each column as text; `rep` and the service-time columns show only
// when the table has them.
struct ConsoleReporter::Row {
  std::string strategy, workload, procs, value, keys, rep, batch, rate, bytes_rate, of_limit, cpu_per_op, p50, p99, p999,
      service_p50, service_p99, mismatches, lost, status, reason;
};

namespace {

std::string left(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}
std::string right(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
}
std::string percent_of_limit(double efficiency) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.0f%%", 100 * efficiency);
  return buffer;
}
std::string percent(double fraction) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f%%", 100 * fraction);
  return buffer;
}
// Bytes per second as MB/s (10^6 bytes), three significant figures or whole.
std::string megabytes(double bytes_per_second) {
  const double mb = bytes_per_second / 1e6;
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, mb < 10 ? "%.2f" : mb < 100 ? "%.1f" : "%.0f", mb);
  return buffer;
}

}  // namespace

std::string ConsoleReporter::format(const Row& r) const {
  std::string line = left(r.strategy, 19) + ' ' + left(r.workload, 12) + ' ' + right(r.procs, 5);
  if (sweeps_value_size_) line += ' ' + right(r.value, 6);
  if (sweeps_keys_) line += ' ' + right(r.keys, 6);
  if (repetitions_ > 1) line += ' ' + right(r.rep, 6);
  line += ' ' + right(r.batch, 5) + ' ' + right(r.rate, 11);
  if (sweeps_value_size_) line += ' ' + right(r.bytes_rate, 8);
  line += ' ' + right(r.of_limit, 8) + ' ' + right(r.cpu_per_op, 9) + ' ' + right(r.p50, 10) + ' ' + right(r.p99, 10) +
          ' ' + right(r.p999, 10);
  if (open_loop_) line += ' ' + right(r.service_p50, 10) + ' ' + right(r.service_p99, 10);
  line += ' ' + right(r.mismatches, 10) + ' ' + right(r.lost, 6) + "  " + r.status;
  if (!r.reason.empty()) line += ": " + r.reason;
  return line;
}

void ConsoleReporter::context(const RunReport& report) {
  repetitions_ = report.repetitions;
  open_loop_ = report.context.target_ops_per_second > 0;
  sweeps_value_size_ = report.sweeps_value_size;
  sweeps_keys_ = report.sweeps_keys;
  warnings(report);
  const Row header{"strategy", "workload", "procs", "value", "keys", "rep", "batch", "ops/s", "MB/s", "% limit", "CPU/op",
                   "p50", "p99", "p99.9",
                   "svc p50", "svc p99", "mismatches", "lost", "status", ""};
  const std::string line = format(header);
  out_ << line << '\n' << std::string(line.size(), '-') << std::endl;
}

void ConsoleReporter::cell(const CellResult& c) {
  if (!aggregates_only_ || repetitions_ == 1 || c.status != CellStatus::ok) {
    const bool ran = c.status != CellStatus::skipped && c.ops > 0;
    auto shown = [&](const std::string& text) { return ran ? text : "-"; };
    auto latency = [&](std::uint64_t ns) { return shown(human_ns(static_cast<double>(ns))); };
    out_ << format(Row{c.strategy, c.workload, std::to_string(c.procs), value_size_text(c.value_size),
                       key_count_text(c.keys), std::to_string(c.repetition), shown(std::to_string(c.batch)),
                       shown(human_rate(c.ops_per_second())), shown(megabytes(c.bytes_per_second())),
                       ran && c.limit_ops_per_second > 0 ? percent_of_limit(c.efficiency()) : "-",
                       shown(human_ns(c.cell_cpu_ns_per_op())), latency(c.latency.p50),
                       latency(c.latency.p99), latency(c.latency.p999), latency(c.service_time.p50),
                       latency(c.service_time.p99), shown(std::to_string(c.check.mismatches)),
                       shown(std::to_string(c.check.lost_updates)), to_string(c.status), c.reason})
         << std::endl;
  }
  if (repetitions_ == 1) return;
  repetitions_of_cell_.push_back(c);
  // A skipped cell is not repeated: the reason is the same every time.
  if (c.repetition + 1 == repetitions_ || c.status == CellStatus::skipped) print_aggregates();
}

// The mean, median, stddev and cv rows of the cell whose repetitions were just shown, over
// those that ran ok (as the JSON report's aggregate entries); none if no repetition did.
void ConsoleReporter::print_aggregates() {
  const std::vector<CellAggregates> all = aggregate_repetitions(repetitions_of_cell_);
  const CellAggregates& a = all.front();
  if (a.ok > 0) {
    std::vector<double> service_p50, service_p99;
    const CellResult* ok = nullptr;  // the cell's figures that do not vary: names, batch
    for (const CellResult& c : repetitions_of_cell_) {
      if (c.status != CellStatus::ok) continue;
      ok = &c;
      service_p50.push_back(static_cast<double>(c.service_time.p50));
      service_p99.push_back(static_cast<double>(c.service_time.p99));
    }
    const Aggregate service[] = {aggregate(service_p50), aggregate(service_p99)};
    const std::string status = a.ok == a.count ? "ok" : std::to_string(a.ok) + "/" + std::to_string(a.count) + " ok";
    for (const char* name : {"mean", "median", "stddev", "cv"}) {
      const std::string n = name;
      auto pick = [&](const Aggregate& of) {
        return n == "mean" ? of.mean : n == "median" ? of.median : n == "stddev" ? of.stddev : of.cv;
      };
      auto rate = [&](const Aggregate& of) { return n == "cv" ? percent(of.cv) : human_rate(pick(of)); };
      auto latency = [&](const Aggregate& of) { return n == "cv" ? percent(of.cv) : human_ns(pick(of)); };
      // Of the repetitions' efficiencies, each against its own limit.
      auto limit_share = [&](const Aggregate& of) {
        const bool central = n == "mean" || n == "median";
        return central && a.limited > 0 ? percent_of_limit(pick(of)) : "-";
      };
      auto bytes_rate = [&](const Aggregate& of) { return n == "cv" ? percent(of.cv) : megabytes(pick(of)); };
      out_ << format(Row{ok->strategy, ok->workload, std::to_string(ok->procs), value_size_text(ok->value_size),
                         key_count_text(ok->keys), n, std::to_string(ok->batch), rate(a.items_per_second),
                         bytes_rate(a.bytes_per_second), limit_share(a.efficiency), latency(a.cell_cpu_time),
                         latency(a.latency_p50), latency(a.latency_p99),
                         latency(a.latency_p999), latency(service[0]), latency(service[1]), "-", "-", status, ""})
           << std::endl;
    }
  }
  repetitions_of_cell_.clear();
}

void ConsoleReporter::finish(const RunReport& report) {
  if (!repetitions_of_cell_.empty()) print_aggregates();  // an interrupted run's last cell
  warnings(report);
}

// The report's warnings this table has not shown yet (the list only grows).
void ConsoleReporter::warnings(const RunReport& report) {
  for (; warnings_shown_ < report.warnings.size(); ++warnings_shown_) {
    out_ << "***WARNING*** " << report.warnings[warnings_shown_] << '\n';
  }
  out_.flush();
}

}  // namespace sharebench
