// sharebench: what is the fastest correct way for N processes on one host to share a
// dictionary? The command line becomes a RunPlan; the sweep runs it; the report writes it.
//
// Exit codes: 0 every cell ok or skipped; 1 a cell failed; 2 bad input (one line on stderr);
// 128 + signal when interrupted (the report is still written, marked partial).
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <charconv>
#include <cctype>
#include <cmath>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "common/error.hpp"
#include "common/os.hpp"
#include "harness/clean.hpp"
#include "harness/compare.hpp"
#include "harness/report.hpp"
#include "harness/sweep.hpp"

namespace sharebench {
namespace {

// Bad input: exit 2.
class UsageError : public Error {
 public:
  using Error::Error;
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto first = item.find_first_not_of(' ');
    const auto last = item.find_last_not_of(' ');
    items.push_back(first == std::string::npos ? "" : item.substr(first, last - first + 1));
  }
  if (items.empty()) items.emplace_back();
  return items;
}

template <typename Int>
Int parse_integer(const std::string& option, const std::string& text, Int min, Int max) {
  Int value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range || (ec == std::errc() && end == text.data() + text.size() &&
                                               (value < min || value > max))) {
    throw UsageError(option + ": '" + text + "' is out of range; accepted: " + std::to_string(min) + " to " +
                     std::to_string(max));
  }
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw UsageError(option + ": '" + text + "' is not a whole number; accepted: " + std::to_string(min) +
                     " to " + std::to_string(max));
  }
  return value;
}

double parse_number(const std::string& option, const std::string& text, double min, double max,
                    bool min_exclusive, const std::string& unit) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    throw UsageError(option + ": '" + text + "' is not a number" + (unit.empty() ? "" : " of " + unit));
  }
  if (value < min || value > max || (min_exclusive && value == min)) {
    std::ostringstream accepted;
    accepted << (min_exclusive ? "greater than " : "from ") << min << (min_exclusive ? ", up to " : " to ")
             << max << (unit.empty() ? "" : " " + unit);
    throw UsageError(option + ": '" + text + "' is out of range; accepted: " + accepted.str());
  }
  return value;
}

// "64M", "2G", "4096": bytes, with an optional K, M or G (powers of 1024).
std::uint64_t parse_size(const std::string& option, const std::string& text) {
  std::string digits = text;
  std::uint64_t unit = 1;
  if (!digits.empty()) {
    const char suffix = static_cast<char>(std::toupper(static_cast<unsigned char>(digits.back())));
    const std::string units = "KMG";
    if (const auto at = units.find(suffix); at != std::string::npos) {
      unit = std::uint64_t{1} << (10 * (at + 1));
      digits.pop_back();
    }
  }
  constexpr std::uint64_t kMax = std::uint64_t{1} << 40;
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
    throw UsageError(option + ": '" + text + "' is not a size; give bytes with an optional K, M or G, e.g. 512M");
  }
  if (n == 0 || n > kMax / unit) throw UsageError(option + ": '" + text + "' is out of range; accepted: 1 byte to 1T");
  return n * unit;
}

std::chrono::nanoseconds seconds_option(const std::string& option, const std::string& text, bool allow_zero) {
  const double s = parse_number(option, text, 0, 86'400, !allow_zero, "seconds");
  if (!allow_zero && s < 0.001) throw UsageError(option + ": '" + text + "' is shorter than the 1 ms minimum");
  return std::chrono::nanoseconds(static_cast<std::int64_t>(s * 1e9));
}

template <typename Range, typename Name>
std::string join_names(const Range& items, Name name_of) {
  std::string names;
  for (const auto& item : items) {
    if (!names.empty()) names.append(", ");
    names.append(name_of(item));
  }
  return names;
}

std::string strategy_names() {
  return join_names(registered_strategies(), [](const StrategyInfo& s) { return s.name; });
}

std::string workload_name_list() {
  return join_names(workload_names(), [](std::string_view w) { return w; });
}

std::vector<const StrategyInfo*> parse_strategies(const std::string& text) {
  std::vector<const StrategyInfo*> chosen;
  for (const std::string& name : split_list(text)) {
    if (name == "all") {
      for (const StrategyInfo& s : registered_strategies()) chosen.push_back(&s);
      continue;
    }
    const StrategyInfo* s = find_strategy(name);
    if (s == nullptr) {
      throw UsageError("--strategy: unknown strategy '" + name + "'; accepted: all, " + strategy_names());
    }
    chosen.push_back(s);
  }
  return chosen;
}

std::vector<WorkloadSpec> parse_workloads(const std::string& text) {
  std::vector<WorkloadSpec> chosen;
  for (const std::string& name : split_list(text)) {
    if (name == "all") {
      for (std::string_view w : workload_names()) chosen.push_back(*find_workload(w));
      continue;
    }
    auto spec = find_workload(name);
    if (!spec) throw UsageError("--workload: unknown workload '" + name + "'; accepted: all, " + workload_name_list());
    chosen.push_back(*spec);
  }
  return chosen;
}

std::vector<int> parse_procs(const std::string& text) {
  std::vector<int> procs;
  for (const std::string& item : split_list(text)) {
    if (item.empty()) throw UsageError("--procs: empty item in '" + text + "'; give a list such as 1,2,4,8");
    procs.push_back(parse_integer<int>("--procs", item, 1, 1024));
  }
  return procs;
}

void print_list(std::ostream& out) {
  out << "Strategies (sharebench --strategy NAME[,NAME...] | all):\n";
  for (const StrategyInfo& info : registered_strategies()) {
    const Capabilities caps = info.make(StrategyOptions{})->capabilities();
    std::string ops = "get";
    if (caps.put) ops += ", put";
    if (caps.add) ops += caps.atomic_add ? ", add (atomic)" : ", add (not atomic)";
    char line[256];
    std::snprintf(line, sizeof line, "  %-16s %s\n  %-16s supports: %s\n", std::string(info.name).c_str(),
                  std::string(info.semantics).c_str(), "", ops.c_str());
    out << line;
  }
  out << "Workloads (sharebench --workload NAME[,NAME...] | all): " << workload_name_list() << '\n';
}

struct Options {
  std::string strategies = "all";
  std::string workloads = "read";
  std::string procs = "1";
  std::string duration = "2";
  std::string warmup = "0.5";
  std::string repetitions = "1";
  std::string keys, value_size, hit_ratio, read_ratio, dist;
  std::string shm_size;
  std::string op_timeout = "2";
  std::string transport = "zmq", endpoint, connect, pipeline = "1", add_mode = "atomic";
  std::string redis_url;
  std::string seed = "1";
  std::string batch = "auto";
  std::string latency_sample = "auto";
  std::string out;
  std::string table_file;
  bool list = false;
  bool aggregates_only = false;
  std::string pin = "none";
  std::string target;
  std::string workload_file;
  bool workload_given = false;  // --workload on the command line (not its default)
};

// Refuses a workload whose dataset could not fit in memory, before anything is built: the
// coordinator holds the dataset, and a strategy about as much again (a table, a segment).
void check_memory(const WorkloadSpec& w) {
  const double per_key = static_cast<double>(w.value_size) + 11 + 16;
  const double needed = 2.5 * per_key * static_cast<double>(w.keys);
  const double physical = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  if (needed > physical / 2) {
    char message[256];
    std::snprintf(message, sizeof message,
                  "--keys %llu with --value-size %u needs about %.1f GiB for the %s workload; "
                  "this machine has %.1f GiB: use fewer keys or smaller values",
                  static_cast<unsigned long long>(w.keys), w.value_size, needed / (1 << 30), w.name.c_str(),
                  physical / (1 << 30));
    throw UsageError(message);
  }
}

RunPlan make_plan(const Options& o) {
  RunPlan plan;
  plan.strategies = parse_strategies(o.strategies);
  if (o.workload_given || o.workload_file.empty()) plan.workloads = parse_workloads(o.workloads);
  if (!o.workload_file.empty()) {
    try {
      for (WorkloadSpec& w : read_workload_file(o.workload_file)) plan.workloads.push_back(std::move(w));
    } catch (const Error& e) {
      throw UsageError(e.what());
    }
  }
  plan.procs = parse_procs(o.procs);
  plan.repetitions = parse_integer<int>("--repetitions", o.repetitions, 1, 1000);
  RunSettings& s = plan.settings;
  s.duration = seconds_option("--duration", o.duration, false);
  s.warmup = seconds_option("--warmup", o.warmup, true);
  s.seed = parse_integer<std::uint64_t>("--seed", o.seed, 0, UINT64_MAX);
  s.batch = o.batch == "auto" ? 0 : parse_integer<std::size_t>("--batch", o.batch, 1, 4096);
  s.latency_one_in =
      o.latency_sample == "auto" ? 0 : parse_integer<std::uint32_t>("--latency-sample", o.latency_sample, 1, 1u << 20);
  for (WorkloadSpec& w : plan.workloads) {
    if (!o.keys.empty()) w.keys = parse_integer<std::uint64_t>("--keys", o.keys, 1, 1'000'000'000);
    if (!o.value_size.empty()) {
      w.value_size = parse_integer<std::uint32_t>("--value-size", o.value_size, kMinValueSize, kMaxValueSize);
    }
    if (!o.hit_ratio.empty()) w.hit_ratio = parse_number("--hit-ratio", o.hit_ratio, 0, 1, false, "");
    if (!o.read_ratio.empty()) {
      if (w.needs_add()) {
        throw UsageError("--read-ratio does not apply to the " + w.name + " workload (it only adds)");
      }
      w.get_ratio = parse_number("--read-ratio", o.read_ratio, 0, 1, false, "");
      w.put_ratio = 1 - w.get_ratio;
    }
    if (!o.dist.empty()) {
      if (o.dist != "uniform" && o.dist != "zipfian") {
        throw UsageError("--dist: unknown distribution '" + o.dist + "'; accepted: uniform, zipfian");
      }
      w.distribution = o.dist == "zipfian" ? Distribution::zipfian : Distribution::uniform;
    }
  }
  std::set<std::string> names;
  for (const WorkloadSpec& w : plan.workloads) {
    if (!names.insert(w.name).second) throw UsageError("workload '" + w.name + "' is given twice");
    try {
      validate(w, "workload '" + w.name + "'");
    } catch (const Error& e) {
      throw UsageError(e.what());
    }
    check_memory(w);
  }
  if (o.pin == "none" || o.pin == "spread" || o.pin == "compact") {
    s.pin = o.pin == "none" ? PinMode::none : o.pin == "spread" ? PinMode::spread : PinMode::compact;
  } else {
    throw UsageError("--pin: unknown placement '" + o.pin + "'; accepted: none, spread, compact");
  }
  if (!o.target.empty()) s.target_ops_per_second = parse_number("--target", o.target, 0, 1e10, true, "ops/s");
  s.strategy_options.table_file = o.table_file;
  if (!o.shm_size.empty()) s.strategy_options.shm_size = parse_size("--shm-size", o.shm_size);
  s.strategy_options.op_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(seconds_option("--op-timeout", o.op_timeout, false));
  if (o.transport != "zmq" && o.transport != "uds") {
    throw UsageError("--transport: unknown transport '" + o.transport + "'; accepted: zmq, uds");
  }
  s.strategy_options.transport = o.transport;
  s.strategy_options.endpoint = o.endpoint;
  s.strategy_options.connect = o.connect;
  s.strategy_options.pipeline = parse_integer<std::size_t>("--pipeline", o.pipeline, 1, 1024);
  if (o.add_mode != "atomic" && o.add_mode != "rmw") {
    throw UsageError("--add-mode: unknown mode '" + o.add_mode + "'; accepted: atomic, rmw");
  }
  s.strategy_options.add_read_modify_write = o.add_mode == "rmw";
  s.strategy_options.redis_url = o.redis_url;
  return plan;
}

nlohmann::json settings_json(const Options& o, const RunPlan& plan) {
  nlohmann::json workloads = nlohmann::json::array();
  for (const WorkloadSpec& w : plan.workloads) {
    workloads.push_back({{"name", w.name},
                         {"keys", w.keys},
                         {"distribution", to_string(w.distribution)},
                         {"value_size", w.value_size},
                         {"get_ratio", w.get_ratio},
                         {"put_ratio", w.put_ratio},
                         {"add_ratio", w.add_ratio},
                         {"hit_ratio", w.hit_ratio},
                         {"counter_keys", w.counter_keys}});
  }
  const RunSettings& s = plan.settings;
  return {{"duration_s", std::chrono::duration<double>(s.duration).count()},
          {"warmup_s", std::chrono::duration<double>(s.warmup).count()},
          {"repetitions", plan.repetitions},
          {"procs", plan.procs},
          {"seed", s.seed},
          {"batch", o.batch},
          {"latency_sample", o.latency_sample},
          {"pin", o.pin},
          {"target_ops_per_second", s.target_ops_per_second},
          {"table_file", o.table_file},
          {"shm_size", o.shm_size.empty() ? "auto" : o.shm_size},
          {"op_timeout_s", std::chrono::duration<double>(s.strategy_options.op_timeout).count()},
          {"transport", o.transport},
          {"endpoint", o.endpoint},
          {"connect", o.connect},
          {"pipeline", s.strategy_options.pipeline},
          {"add_mode", o.add_mode},
          {"redis_url", o.redis_url},
          {"workloads", workloads}};
}

struct CompareArgs {
  std::string base, candidate;
  std::string threshold = "10";
  std::string alpha = "0.05";
  bool normalize = false;
  std::string format = "table";
  std::string github_benchmark;
};

int compare_command(const CompareArgs& a) {
  CompareOptions options;
  options.threshold = parse_number("--threshold", a.threshold, 0, 1000, true, "percent") / 100;
  options.alpha = parse_number("--alpha", a.alpha, 0, 1, true, "");
  options.normalize = a.normalize;
  if (a.format != "table" && a.format != "json") {
    throw UsageError("--format: unknown format '" + a.format + "'; accepted: table, json");
  }
  Comparison comparison;
  try {
    if (!a.github_benchmark.empty()) check_writable(a.github_benchmark);
    comparison = compare_reports(load_report(a.base), load_report(a.candidate), options);
  } catch (const Error& e) {
    throw UsageError(std::string("compare: ") + e.what());
  }
  if (a.format == "json") {
    std::cout << comparison_json(comparison).dump(2) << '\n';
  } else {
    print_comparison(std::cout, comparison);
  }
  if (!a.github_benchmark.empty()) {
    std::ofstream out(a.github_benchmark);
    out << github_benchmark_json(comparison).dump(2) << '\n';
    if (!out) throw Error("cannot write '" + a.github_benchmark + "'");
  }
  return comparison.regressed() ? 1 : 0;
}

int clean_command(bool dry_run) {
  const auto stale = find_stale_objects();
  for (const StaleObject& o : stale) {
    std::cout << (dry_run ? "would remove " : "removing ") << o.path << " (run coordinator pid " << o.owner
              << " is gone)\n";
  }
  if (stale.empty()) std::cout << "nothing to clean\n";
  if (dry_run) return 0;
  const auto failures = remove_stale_objects(stale);
  for (const std::string& f : failures) std::cerr << "sharebench: cannot remove " << f << '\n';
  return failures.empty() ? 0 : 1;
}

int serve_command(const Options& o, const RunPlan& plan) {
  if (plan.workloads.size() != 1) throw UsageError("serve: give one --workload, not " + o.workloads);
  if (o.endpoint.empty()) throw UsageError("serve: --endpoint is required (ipc://PATH or tcp://HOST:PORT)");
  if (!o.connect.empty()) throw UsageError("serve: --connect is for runs that use a server, not for serve");
  const Dataset dataset = build_dataset(plan.workloads.front());
  try {
    return serve_dictionary(dataset, plan.settings.strategy_options);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
}

int run(int argc, char** argv) {
  Options o;
  CLI::App app{
      "sharebench: measures how fast N processes on one host can share a dictionary, and whether\n"
      "they read back what was written. Runs every strategy x workload x procs cell and prints a\n"
      "table; --out writes the JSON report (results/SCHEMA.md).\n"};
  app.name("sharebench");
  app.add_flag("--list", o.list, "List the strategies and workloads, then exit");
  app.add_option("--strategy", o.strategies, "Strategies to run: all, or a comma list")->capture_default_str();
  CLI::Option* workload_option =
      app.add_option("--workload", o.workloads, "Workloads to run: all, or a comma list")->capture_default_str();
  app.add_option("--workload-file", o.workload_file,
                 "Workloads described in a JSON file (results/SCHEMA.md: workload files), run after --workload's");
  app.add_option("--procs", o.procs, "Worker process counts, a comma list (a sweep), 1..1024")
      ->capture_default_str();
  app.add_option("--duration", o.duration, "Measured window per cell, seconds (> 0)")->capture_default_str();
  app.add_option("--warmup", o.warmup, "Warm-up before each window, seconds (>= 0), never counted")
      ->capture_default_str();
  app.add_option("--repetitions", o.repetitions,
                 "Times each cell runs (1..1000); above 1, _mean/_median/_stddev/_cv aggregates follow")
      ->capture_default_str();
  app.add_flag("--aggregates-only", o.aggregates_only, "With --repetitions: report only the aggregates of each cell");
  app.add_option("--keys", o.keys, "Keys preloaded (overrides the workload's; 1..1e9)");
  app.add_option("--value-size", o.value_size,
                 "Bytes per value (overrides the workload's; " + std::to_string(kMinValueSize) + ".." +
                     std::to_string(kMaxValueSize) + ")");
  app.add_option("--hit-ratio", o.hit_ratio, "Fraction of gets that ask for a present key (0..1)");
  app.add_option("--read-ratio", o.read_ratio, "Fraction of ops that are gets, the rest puts (0..1; not for counter)");
  app.add_option("--dist", o.dist, "Key distribution: uniform or zipfian (theta 0.99, scrambled)");
  app.add_option("--seed", o.seed, "Seed of every random choice")->capture_default_str();
  app.add_option("--batch", o.batch, "Ops per batch handed to a client: auto (its preferred) or 1..4096")
      ->capture_default_str();
  app.add_option("--latency-sample", o.latency_sample,
                 "Time one batch in N: auto (keeps clock reads under 1% of the work) or N")
      ->capture_default_str();
  app.add_option("--pin", o.pin,
                 "CPU affinity: none; spread (process k on CPU k mod n, servers first); compact (all on one CPU)")
      ->capture_default_str();
  app.add_option("--target", o.target,
                 "Open loop: ops/s of all workers together, issued at fixed intervals; latency counts from each "
                 "op's intended start, so a stall shows (coordinated omission corrected)");
  app.add_option("--out", o.out, "Write the JSON report to this file (atomically)");
  app.add_option("--table-file", o.table_file,
                 "mmap-table: build the table image into this file, or map it if it exists");
  app.add_option("--op-timeout", o.op_timeout,
                 "Seconds an operation may wait (for a reply, a lock) before the cell fails")
      ->capture_default_str();
  app.add_option("--transport", o.transport, "socket-manager: zmq (ZeroMQ DEALER/ROUTER) or uds (Unix socket)")
      ->capture_default_str();
  app.add_option("--endpoint", o.endpoint,
                 "socket-manager: where its server listens: ipc://PATH or tcp://HOST:PORT (zmq), a path (uds); "
                 "default: a private ipc path");
  app.add_option("--connect", o.connect, "socket-manager: use the server already listening there (sharebench serve)");
  app.add_option("--pipeline", o.pipeline,
                 "socket-manager, redis: requests in flight per worker (1 = synchronous, 1..1024)")
      ->capture_default_str();
  app.add_option("--add-mode", o.add_mode,
                 "socket-manager: atomic (the server adds) or rmw (a get then a put, as Manager proxies do)")
      ->capture_default_str();
  app.add_option("--redis-url", o.redis_url,
                 "redis: use this server (redis://HOST:PORT, unix:///PATH) instead of starting a private one; "
                 "only the run's own keys are written and deleted");
  app.add_option("--shm-size", o.shm_size, "shm-map: segment size, e.g. 512M (default: sized from the dataset)");

  bool dry_run = false;
  CLI::App* clean = app.add_subcommand(
      "clean", "Remove the shared memory, queues and socket directories of sharebench runs that died "
               "(their coordinator pid no longer runs); a live run's objects are never touched");
  clean->add_flag("--dry-run", dry_run, "Only list what would be removed");
  CompareArgs compare_args;
  CLI::App* compare = app.add_subcommand(
      "compare",
      "Compare two reports cell by cell; exit 1 if a cell's median ops/s dropped by more than --threshold "
      "and beyond its repetitions' noise (one-sided Mann-Whitney U test with 3+ repetitions a side), or a cell "
      "that ran ok in BASE failed in NEW");
  compare->add_option("BASE", compare_args.base, "The reference report")->required();
  compare->add_option("NEW", compare_args.candidate, "The report to judge")->required();
  compare->add_option("--threshold", compare_args.threshold, "A drop beyond this percentage regresses")
      ->capture_default_str();
  compare->add_option("--alpha", compare_args.alpha, "Significance level of the U test")->capture_default_str();
  compare->add_flag("--normalize", compare_args.normalize,
                    "Divide throughputs by each report's calibration figure (reports from different machines)");
  compare->add_option("--format", compare_args.format, "table or json")->capture_default_str();
  compare->add_option("--github-benchmark", compare_args.github_benchmark,
                      "Also write NEW's cells as github-action-benchmark customBiggerIsBetter JSON to this file");
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Run socket-manager's server alone, for workers elsewhere (--connect): it serves the dataset of "
      "--workload (one), --keys, --value-size and --seed on --endpoint until SIGINT/SIGTERM");
  serve->fallthrough();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    throw UsageError(std::string(e.what()) + "; see sharebench --help");
  }
  if (o.list) {
    print_list(std::cout);
    return 0;
  }
  if (*compare) return compare_command(compare_args);
  if (*clean) return clean_command(dry_run);
  o.workload_given = workload_option->count() > 0;

  RunPlan plan = make_plan(o);
  if (*serve) return serve_command(o, plan);
  std::vector<std::string> option_warnings;
  try {
    if (!o.out.empty()) check_writable(o.out);
    std::vector<DatasetShape> shapes;
    for (const WorkloadSpec& w : plan.workloads) shapes.push_back(shape_of(w));
    for (const StrategyInfo* s : plan.strategies) {
      for (std::string& w : s->make(plan.settings.strategy_options)->check_options(shapes)) {
        option_warnings.push_back(std::move(w));
      }
    }
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
  plan.settings.strategy_options.object_prefix = run_object_prefix(random_hex(8), ::getpid());

  RunReport report;
  report.aggregates_only = o.aggregates_only;
  report.context = collect_context(argc, argv);
  report.context.calibration_lookups_per_second = measure_calibration();
  report.context.harness_overhead_ns_batch_1 = measure_harness_overhead(plan.settings, 1);
  report.context.harness_overhead_ns_batch_16 = measure_harness_overhead(plan.settings, 16);
  report.context.pinning = to_string(plan.settings.pin);
  report.context.cpus = allowed_cpus();
  report.context.target_ops_per_second = plan.settings.target_ops_per_second;
  report.settings = settings_json(o, plan);
  report.warnings = run_warnings(plan, report);
  report.warnings.insert(report.warnings.end(), option_warnings.begin(), option_warnings.end());
  if (const auto stale = find_stale_objects(); !stale.empty()) {
    option_warnings.push_back(std::to_string(stale.size()) + " objects left by sharebench runs that died (e.g. " +
                              stale.front().path + "); `sharebench clean` removes them");
    report.warnings.push_back(option_warnings.back());
  }

  install_interrupt_handlers();
  ConsoleTable table(std::cout);
  table.warnings(report.warnings);
  table.header();
  run_sweep(plan, report, table);
  const std::size_t printed = report.warnings.size();
  report.warnings = run_warnings(plan, report);  // now also about the cells that ran
  report.warnings.insert(report.warnings.end(), option_warnings.begin(), option_warnings.end());
  table.warnings({report.warnings.begin() + static_cast<std::ptrdiff_t>(printed), report.warnings.end()});

  if (!o.out.empty()) write_report_file(report, report_destination(o.out));
  if (report.partial) {
    std::cerr << "sharebench: interrupted; " << report.cells.size() << " cells measured"
              << (o.out.empty() ? "" : ", report written to " + o.out + " (partial)") << '\n';
    return 128 + interrupt_signal();
  }
  for (const CellResult& c : report.cells) {
    if (c.status == CellStatus::failed) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace sharebench

int main(int argc, char** argv) {
  try {
    return sharebench::run(argc, argv);
  } catch (const sharebench::UsageError& e) {
    std::cerr << "sharebench: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "sharebench: " << e.what() << '\n';
    return 1;
  }
}
