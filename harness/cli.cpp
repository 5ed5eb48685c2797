// sharebench's command line: it becomes a RunPlan; run_plan() runs it; the reporters show it.
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <variant>

#include "common/error.hpp"
#include "common/os.hpp"
#include "harness/clean.hpp"
#include "harness/cli.hpp"
#include "harness/compare.hpp"
#include "harness/context.hpp"
#include "harness/report.hpp"
#include "harness/sweep.hpp"
#include "strategies/python/host.hpp"

namespace sharebench {
namespace {

// Bad input: exit 2.
class UsageError : public Error {
 public:
  using Error::Error;
};

// Runs a step of reading the command line: an Error it throws is bad input.
template <typename Step>
auto as_usage(Step step) {
  try {
    return step();
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
}

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

// The strategies `sharebench serve` can run.
std::string server_names() {
  std::vector<std::string_view> names;
  for (const StrategyInfo& s : registered_strategies()) {
    if (s.serve != nullptr) names.push_back(s.name);
  }
  return join_names(names, [](std::string_view name) { return name; });
}

std::string workload_name_list() {
  return join_names(workload_names(), [](std::string_view w) { return w; });
}

std::vector<const StrategyInfo*> parse_strategies(const std::string& text) {
  std::vector<const StrategyInfo*> chosen;
  for (const std::string& name : split_list(text)) {
    if (name == "all") {
      for (const StrategyInfo* s : all_strategies()) chosen.push_back(s);
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
  std::string op_timeout = "2";
  std::string seed = "1";
  std::string batch = "auto";
  std::string latency_sample = "auto";
  std::string out;
  bool list = false;
  bool aggregates_only = false;
  bool no_limits = false;
  bool no_calibration = false;
  std::string pin = "none";
  std::string target;
  std::string workload_file;
  bool workload_given = false;  // --workload on the command line (not its default)
};

// The strategies' own options, found by walking the registry: --help shows them in one group
// per strategy, a flag several strategies read (the same spec) once, under the first.
class StrategyFlags {
 public:
  explicit StrategyFlags(CLI::App& app) {
    std::map<std::string_view, CLI::Option_group*> groups;
    auto group_of = [&](const StrategyInfo& strategy) {
      CLI::Option_group*& group = groups[strategy.name];
      if (group == nullptr) group = app.add_option_group(std::string(strategy.name), std::string(strategy.semantics));
      return group;
    };
    for (const RegisteredOption& option : registered_options()) {
      Flag& flag = flags_.emplace_back(Flag{&option, "", {}});
      flag.cli.push_back(add_to(*group_of(*option.owners.front()), flag));
      // The other strategies' groups name the flag they read from this one.
      for (std::size_t i = 1; i < option.owners.size(); ++i) {
        CLI::Option_group* group = group_of(*option.owners[i]);
        group->description(group->get_description() + "; also reads " + std::string(option.spec->flag) + " (under " +
                           std::string(option.owners.front()->name) + ")");
      }
    }
  }

  // `serve` takes the options its strategies' servers read as well (after the subcommand).
  void add_serve_options(CLI::App& serve) {
    for (Flag& flag : flags_) {
      if (flag.option->spec->read_by_serve) flag.cli.push_back(add_to(serve, flag));
    }
  }

  // The options given on the command line, each checked by its spec (Error naming the flag).
  std::map<std::string, std::string, std::less<>> given() const {
    std::map<std::string, std::string, std::less<>> given;
    for (const Flag& flag : flags_) {
      if (!flag.given()) continue;
      flag.option->spec->parse(flag.option->spec->flag, flag.text);
      given.emplace(flag.option->spec->flag, flag.text);
    }
    return given;
  }

  // A warning for each option given that no strategy of the run reads: it has no effect.
  std::vector<std::string> unused(std::span<const StrategyInfo* const> run) const {
    std::vector<std::string> warnings;
    for (const Flag& flag : flags_) {
      const auto& owners = flag.option->owners;
      const bool read = std::any_of(owners.begin(), owners.end(), [&](const StrategyInfo* owner) {
        return std::any_of(run.begin(), run.end(), [&](const StrategyInfo* s) {
          return s == owner || s->variant_of == owner->name;  // a variant reads its base's options
        });
      });
      if (flag.given() && !read) {
        warnings.push_back(std::string(flag.option->spec->flag) + " has no effect: it is an option of " +
                           owners_of(*flag.option) + ", which this run does not include");
      }
    }
    return warnings;
  }

 private:
  struct Flag {
    const RegisteredOption* option;
    std::string text;  // CLI11 writes the given text here
    std::vector<CLI::Option*> cli;  // the run's, and serve's if serve reads it
    bool given() const {
      return std::any_of(cli.begin(), cli.end(), [](const CLI::Option* o) { return o->count() > 0; });
    }
  };

  static CLI::Option* add_to(CLI::App& app, Flag& flag) {
    std::string help(flag.option->spec->help);
    if (flag.option->owners.size() > 1) help += "; read by " + owners_of(*flag.option);
    return app.add_option(std::string(flag.option->spec->flag), flag.text, help)
        ->type_name(std::string(flag.option->spec->placeholder))
        ->default_str(std::string(flag.option->spec->default_text));
  }

  static std::string owners_of(const RegisteredOption& option) {
    std::string names;
    for (std::size_t i = 0; i < option.owners.size(); ++i) {
      if (i > 0) names += i + 1 == option.owners.size() ? " and " : ", ";
      names += option.owners[i]->name;
    }
    return names;
  }

  std::deque<Flag> flags_;  // CLI11 keeps the address of each text: they must not move
};

// Why a workload's dataset could not fit in memory, or "": the coordinator holds the dataset,
// and a strategy about as much again (a table, a segment). Checked before anything is built.
std::string memory_shortfall(const WorkloadSpec& w) {
  const double per_key = static_cast<double>(w.value_size) + 11 + 16;
  const double needed = 2.5 * per_key * static_cast<double>(w.keys);
  const double physical = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  if (needed <= physical / 2) return "";
  char message[256];
  std::snprintf(message, sizeof message,
                "--keys %llu with --value-size %u needs about %.1f GiB for the %s workload; "
                "this machine has %.1f GiB: use fewer keys or smaller values",
                static_cast<unsigned long long>(w.keys), w.value_size, needed / (1 << 30), w.name.c_str(),
                physical / (1 << 30));
  return message;
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
  nlohmann::json settings = {{"duration_s", std::chrono::duration<double>(s.duration).count()},
                             {"warmup_s", std::chrono::duration<double>(s.warmup).count()},
                             {"repetitions", plan.repetitions},
                             {"procs", plan.procs},
                             {"seed", s.seed},
                             {"batch", o.batch},
                             {"latency_sample", o.latency_sample},
                             {"pin", o.pin},
                             {"target_ops_per_second", s.target_ops_per_second},
                             {"limits", !o.no_limits},
                             {"calibration", !o.no_calibration},
                             {"op_timeout_s", std::chrono::duration<double>(s.strategy_options.op_timeout).count()},
                             {"workloads", workloads}};
  // Every strategy's options, whether or not the run includes it, so that reports compare.
  for (const RegisteredOption& option : registered_options()) {
    std::visit([&](const auto& value) { settings[std::string(option.spec->json_name)] = value; },
               s.strategy_options.value(*option.spec));
  }
  return settings;
}

// The command line as a plan; throws Error for bad input.
RunPlan make_plan(const Options& o, const StrategyFlags& flags) {
  RunPlan plan;
  plan.strategies = parse_strategies(o.strategies);
  if (o.workload_given || o.workload_file.empty()) plan.workloads = parse_workloads(o.workloads);
  if (!o.workload_file.empty()) {
    for (WorkloadSpec& w : read_workload_file(o.workload_file)) plan.workloads.push_back(std::move(w));
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
  const std::vector<std::uint32_t> value_sizes =
      o.value_size.empty() ? std::vector<std::uint32_t>{} : parse_value_sizes(o.value_size);
  const std::vector<std::uint64_t> key_counts =
      o.keys.empty() ? std::vector<std::uint64_t>{} : parse_key_counts(o.keys);
  plan.sweeps_value_size = value_sizes.size() > 1;
  plan.sweeps_keys = key_counts.size() > 1;
  std::set<std::string> names;
  std::vector<WorkloadSpec> cells;  // each workload at each size of the sweep
  for (WorkloadSpec& w : plan.workloads) {
    if (!names.insert(w.name).second) throw UsageError("workload '" + w.name + "' is given twice");
    if (!o.hit_ratio.empty()) w.hit_ratio = parse_number("--hit-ratio", o.hit_ratio, 0, 1, false, "");
    if (!o.read_ratio.empty()) {
      if (w.needs_add()) {
        throw UsageError("--read-ratio does not apply to the " + w.name + " workload (it only adds)");
      }
      w.get_ratio = parse_number("--read-ratio", o.read_ratio, 0, 1, false, "");
      w.put_ratio = 1 - w.get_ratio;
    }
    if (!o.dist.empty()) {
      const std::string dist = parse_choice("--dist", o.dist, "distribution", {"uniform", "zipfian"});
      w.distribution = dist == "zipfian" ? Distribution::zipfian : Distribution::uniform;
    }
    // Preloading keys that no op reads would only make a counter-only strategy refuse the cell.
    if (!key_counts.empty() && !w.uses_data_keys()) {
      plan.warnings.push_back("--keys does not apply to the " + w.name + " workload: it only adds to its " +
                              std::to_string(w.counter_keys) + " counters");
    }
    // --value-size and --keys override every workload's own, a workload file's too.
    const std::vector<std::uint32_t> sizes = value_sizes.empty() ? std::vector{w.value_size} : value_sizes;
    const std::vector<std::uint64_t> keys =
        key_counts.empty() || !w.uses_data_keys() ? std::vector{w.keys} : key_counts;
    for (std::uint32_t value_size : sizes) {
      for (std::uint64_t key_count : keys) {
        WorkloadSpec& cell = cells.emplace_back(w);
        cell.value_size = value_size;
        cell.keys = key_count;
        validate(cell, "workload '" + w.name + "'");
      }
    }
  }
  plan.workloads = std::move(cells);
  for (std::size_t i = 0; i < plan.workloads.size(); ++i) {
    std::string shortfall = memory_shortfall(plan.workloads[i]);
    if (shortfall.empty()) continue;
    // A sweep runs the sizes that fit; a single size that cannot is bad input.
    if (!plan.sweeps_value_size && !plan.sweeps_keys) throw UsageError(shortfall);
    plan.skipped[{i, nullptr}] = std::move(shortfall);
  }
  const std::string pin = parse_choice("--pin", o.pin, "placement", {"none", "spread", "compact"});
  s.pin = pin == "none" ? PinMode::none : pin == "spread" ? PinMode::spread : PinMode::compact;
  if (!o.target.empty()) s.target_ops_per_second = parse_number("--target", o.target, 0, 1e10, true, "ops/s");
  s.strategy_options.op_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(seconds_option("--op-timeout", o.op_timeout, false));
  s.strategy_options.given = flags.given();
  s.strategy_options.object_prefix = run_object_prefix(random_hex(8), ::getpid());
  for (std::string& w : flags.unused(plan.strategies)) plan.warnings.push_back(std::move(w));
  plan.measure_limits = !o.no_limits;
  plan.calibrate = !o.no_calibration;
  plan.described = settings_json(o, plan);
  return plan;
}

// What needs more than the command line to check: the --out file can be written, and every
// strategy of the run accepts its options for every dataset (its warnings join the plan's).
// Throws Error for bad input, before anything is built.
void check_plan(RunPlan& plan, const std::string& out) {
  if (!out.empty()) check_writable(out);
  const bool sweep = plan.sweeps_value_size || plan.sweeps_keys;
  for (const StrategyInfo* s : plan.strategies) {
    const std::unique_ptr<Strategy> strategy = s->make(plan.settings.strategy_options);
    // Only the datasets it will be handed: the cells of a workload it cannot run, or whose
    // dataset cannot fit, are skipped.
    std::vector<std::size_t> indices;
    for (std::size_t i = 0; i < plan.workloads.size(); ++i) {
      if (plan.skipped.count({i, nullptr}) == 0 &&
          unsupported_reason(strategy->capabilities(), plan.workloads[i]).empty()) {
        indices.push_back(i);
      }
    }
    auto shapes_of = [&](const std::vector<std::size_t>& of) {
      std::vector<DatasetShape> shapes;
      for (std::size_t i : of) shapes.push_back(shape_of(plan.workloads[i]));
      return shapes;
    };
    std::vector<std::string> warnings;
    try {
      warnings = strategy->check_options(shapes_of(indices));
    } catch (const Error&) {
      if (!sweep) throw;
      strategy->check_options({});  // what it refuses whatever the sizes (a bad URL) is bad input
      // A sweep skips the sizes over the strategy's own limit (a message, a segment) with its
      // reason; what it refuses of the sizes together (one table file for two) is bad input.
      std::vector<std::size_t> fit;
      for (std::size_t i : indices) {
        try {
          strategy->check_options(shapes_of({i}));
          fit.push_back(i);
        } catch (const Error& e) {
          plan.skipped[{i, s}] = e.what();
        }
      }
      warnings = strategy->check_options(shapes_of(fit));
    }
    for (std::string& w : warnings) {
      if (std::find(plan.warnings.begin(), plan.warnings.end(), w) == plan.warnings.end()) {
        plan.warnings.push_back(std::move(w));
      }
    }
  }
}

struct CompareArgs {
  std::string base, candidate;
  std::string threshold = "10";
  std::string alpha = "0.05";
  bool normalize = false;
  bool ignore_settings = false;
  std::string format = "table";
  std::string github_benchmark;
};

int compare_command(const CompareArgs& a) {
  CompareOptions options;
  options.threshold = parse_number("--threshold", a.threshold, 0, 1000, true, "percent") / 100;
  options.alpha = parse_number("--alpha", a.alpha, 0, 1, true, "");
  options.normalize = a.normalize;
  options.ignore_settings = a.ignore_settings;
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

// `sharebench serve`: the server of the one strategy of --strategy that has one.
int serve_command(const RunPlan& plan, const std::string& workloads) {
  if (plan.sweeps_value_size) throw UsageError("serve: give one --value-size, not a list");
  if (plan.sweeps_keys) throw UsageError("serve: give one --keys, not a list");
  if (plan.workloads.size() != 1) throw UsageError("serve: give one --workload, not " + workloads);
  std::vector<const StrategyInfo*> servers;
  for (const StrategyInfo* s : plan.strategies) {
    const StrategyInfo* server = s->variant_of.empty() ? s : find_strategy(s->variant_of);  // [zmq], [uds]: its base
    if (server->serve != nullptr && std::find(servers.begin(), servers.end(), server) == servers.end()) {
      servers.push_back(server);
    }
  }
  if (servers.size() != 1) throw UsageError("serve: give --strategy one of: " + server_names());
  return as_usage([&] {
    return servers.front()->serve(plan.settings.strategy_options,
                                  [&] { return build_dataset(plan.workloads.front()); });
  });
}

// The run's options, in --help's first group; returns --workload's, whose default differs
// from its absence when a --workload-file is given.
CLI::Option* add_run_options(CLI::App& app, Options& o) {
  app.add_flag("--list", o.list, "List the strategies and workloads, then exit");
  app.add_option("--strategy", o.strategies, "Strategies to run: all, or a comma list")
      ->capture_default_str()
      ->type_name("LIST");
  CLI::Option* workload_option =
      app.add_option("--workload", o.workloads, "Workloads to run: all, or a comma list")
          ->capture_default_str()
          ->type_name("LIST");
  app.add_option("--workload-file", o.workload_file,
                 "Workloads described in a JSON file (results/SCHEMA.md: workload files), run after --workload's")
      ->type_name("FILE");
  app.add_option("--procs", o.procs, "Worker process counts, a comma list (a sweep), 1..1024")
      ->capture_default_str()->type_name("LIST");
  app.add_option("--duration", o.duration, "Measured window per cell, seconds (> 0)")
      ->capture_default_str()
      ->type_name("SECONDS");
  app.add_option("--warmup", o.warmup, "Warm-up before each window, seconds (>= 0), never counted")
      ->capture_default_str()->type_name("SECONDS");
  app.add_option("--repetitions", o.repetitions,
                 "Times each cell runs (1..1000); above 1, _mean/_median/_stddev/_cv aggregates follow")
      ->capture_default_str()->type_name("N");
  app.add_flag("--aggregates-only", o.aggregates_only,
               "With --repetitions: show (table and JSON) only the aggregates of each cell");
  app.add_option("--keys", o.keys,
                 "Keys preloaded, a comma list (a sweep; overrides every workload's, a workload file's too, except "
                 "counter's, which has none): 1..1G, a count with an optional K, M or G (1K = 1000), or 1e5")
      ->type_name("LIST");
  app.add_option("--value-size", o.value_size,
                 "Bytes per value, a comma list (a sweep; overrides every workload's, a workload file's too): " +
                     std::to_string(kMinValueSize) + "..1M, bytes with an optional K or M (1K = 1024)")
      ->type_name("LIST");
  app.add_option("--hit-ratio", o.hit_ratio, "Fraction of gets that ask for a present key (0..1)")->type_name("RATIO");
  app.add_option("--read-ratio", o.read_ratio, "Fraction of ops that are gets, the rest puts (0..1; not for counter)")
      ->type_name("RATIO");
  app.add_option("--dist", o.dist, "Key distribution: uniform or zipfian (theta 0.99, scrambled)")->type_name("NAME");
  app.add_option("--seed", o.seed, "Seed of every random choice")->capture_default_str()->type_name("N");
  app.add_option("--batch", o.batch,
                 "Ops per batch handed to a client: auto (its preferred; 1 in open loop) or 1..4096")
      ->capture_default_str()->type_name("N");
  app.add_option("--latency-sample", o.latency_sample,
                 "Time one batch in N: auto (keeps clock reads under 1% of the work) or N")
      ->capture_default_str()->type_name("N");
  app.add_option("--pin", o.pin,
                 "CPU affinity: none; spread (process k on CPU k mod n, servers first); compact (all on one CPU)")
      ->capture_default_str()->type_name("MODE");
  app.add_option("--target", o.target,
                 "Open loop: ops/s of all workers together, issued at fixed intervals; latency counts from each "
                 "op's intended start, so a stall shows (coordinated omission corrected)")->type_name("OPS");
  app.add_flag("--no-limits", o.no_limits,
               "Do not measure each cell's limit (its mechanism's floor, measured bare in the run; about 0.2 s "
               "per mechanism, or with --repetitions above 1 per repetition of each cell): limit_ops_per_second "
               "and efficiency are null, '% limit' shows -");
  app.add_flag("--no-calibration", o.no_calibration,
               "Do not measure, before the first cell, the machine's calibration and the harness's own costs "
               "(about 1.3 s): context.calibration, context.harness_* and context.null_values_execute_ns are "
               "null, and compare --normalize cannot use the report");
  app.add_option("--out", o.out, "Write the JSON report to this file (atomically)")->type_name("FILE");
  app.add_option("--op-timeout", o.op_timeout,
                 "Seconds an operation may wait (for a reply, a lock) before the cell fails")
      ->capture_default_str()->type_name("SECONDS");
  return workload_option;
}

CLI::App* add_clean_command(CLI::App& app, bool& dry_run) {
  CLI::App* clean = app.add_subcommand(
      "clean", "Remove the shared memory, queues and socket directories of sharebench runs that died "
               "(their coordinator pid no longer runs); a live run's objects are never touched");
  clean->add_flag("--dry-run", dry_run, "Only list what would be removed");
  return clean;
}

CLI::App* add_compare_command(CLI::App& app, CompareArgs& args) {
  CLI::App* compare = app.add_subcommand(
      "compare",
      "Compare two reports cell by cell; exit 1 if a cell's median ops/s dropped by more than --threshold "
      "and beyond its repetitions' noise (one-sided Mann-Whitney U test with 3+ repetitions a side), or a cell "
      "that ran ok in BASE failed in NEW");
  compare->add_option("BASE", args.base, "The reference report")->required()->type_name("FILE");
  compare->add_option("NEW", args.candidate, "The report to judge")->required()->type_name("FILE");
  compare->add_option("--threshold", args.threshold, "A drop beyond this percentage regresses")
      ->capture_default_str()
      ->type_name("PERCENT");
  compare->add_option("--alpha", args.alpha, "Significance level of the U test")->capture_default_str()->type_name("P");
  compare->add_flag("--normalize", args.normalize,
                    "Divide throughputs by each report's calibration figure (reports from different machines)");
  compare->add_flag("--ignore-settings", args.ignore_settings,
                    "Judge cells whose settings differ (workload, keys, value size, load, batch, pinning, window, "
                    "build, strategy options) instead of marking them not comparable");
  compare->add_option("--format", args.format, "table or json")->capture_default_str()->type_name("NAME");
  compare->add_option("--github-benchmark", args.github_benchmark,
                      "Also write NEW's cells as github-action-benchmark customBiggerIsBetter JSON to this file")
      ->type_name("FILE");
  return compare;
}

// serve's own options: those that choose its server and dataset, into the run's Options (so
// `sharebench --keys N serve` and `sharebench serve --keys N` agree); serve --help lists them.
CLI::App* add_serve_command(CLI::App& app, Options& o, StrategyFlags& strategy_flags) {
  CLI::App* serve = app.add_subcommand(
      "serve", "Run a strategy's server alone, for workers elsewhere (" + server_names() +
                   " has one): it serves the dataset of --workload (one), --keys, --value-size and --seed, where the "
                   "strategy's options say (--endpoint is required), until SIGINT/SIGTERM; it refuses an endpoint "
                   "another live server holds and removes its socket file when it stops");
  serve->add_option("--strategy", o.strategies, "The strategy whose server runs: " + server_names())
      ->type_name("NAME");
  serve->add_option("--workload", o.workloads, "The workload whose dataset it serves (one)")
      ->capture_default_str()
      ->type_name("NAME");
  serve->add_option("--workload-file", o.workload_file, "The workload, from a JSON file (results/SCHEMA.md)")
      ->type_name("FILE");
  serve->add_option("--keys", o.keys, "Keys preloaded (overrides the workload's; 1..1G, optional K, M or G, 1K = 1000)")
      ->type_name("N");
  serve->add_option("--value-size", o.value_size,
                    "Bytes per value (overrides the workload's; " + std::to_string(kMinValueSize) +
                        "..1M, optional K or M, 1K = 1024)")
      ->type_name("BYTES");
  serve->add_option("--seed", o.seed, "Seed of every random choice (give the runs' own)")
      ->capture_default_str()
      ->type_name("N");
  strategy_flags.add_serve_options(*serve);
  return serve;
}

// 128 + signal if interrupted (the report is written, marked partial), 1 if a cell failed.
int exit_code(const RunReport& report, const std::string& out) {
  if (report.partial) {
    std::cerr << "sharebench: interrupted; " << report.cells.size() << " cells measured"
              << (out.empty() ? "" : ", report written to " + out + " (partial)") << '\n';
    return 128 + interrupt_signal();
  }
  const bool failed = std::any_of(report.cells.begin(), report.cells.end(),
                                  [](const CellResult& c) { return c.status == CellStatus::failed; });
  return failed ? 1 : 0;
}

int run(int argc, char** argv) {
  CLI::App app{
      "sharebench: measures how fast N processes on one host can share a dictionary, and whether\n"
      "they read back what was written. Runs every strategy x workload x procs (x value size x keys)\n"
      "cell and prints a table; --out writes the JSON report (results/SCHEMA.md).\n"};
  app.name("sharebench");
  app.set_version_flag("--version", version_text(), "Print the version, git revision and build type, then exit");
  Options o;
  CLI::Option* workload_option = add_run_options(app, o);
  StrategyFlags strategy_flags(app);
  bool dry_run = false;
  CLI::App* clean = add_clean_command(app, dry_run);
  CompareArgs compare_args;
  CLI::App* compare = add_compare_command(app, compare_args);
  CLI::App* serve = add_serve_command(app, o, strategy_flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    // A subcommand's mistake points at that subcommand's --help.
    const std::vector<CLI::App*> command = app.get_subcommands();
    const std::string help =
        command.empty() ? "sharebench --help" : "sharebench " + command.front()->get_name() + " --help";
    throw UsageError(std::string(e.what()) + "; see " + help);
  }
  if (o.list) {
    print_list(std::cout);
    return 0;
  }
  if (*compare) return compare_command(compare_args);
  if (*clean) return clean_command(dry_run);
  o.workload_given = workload_option->count() > 0 || serve->count("--workload") > 0;

  // Before anything is read or built: a --workload-file that is a pipe can be read only once.
  const std::vector<const StrategyInfo*> strategies = as_usage([&] { return parse_strategies(o.strategies); });
  const bool runs_python = std::any_of(strategies.begin(), strategies.end(), [](const StrategyInfo* s) {
    return python::is_python_strategy(s->name);
  });
  if (runs_python && !*serve) python::run_in_python_host(argc, argv);

  RunPlan plan = as_usage([&] { return make_plan(o, strategy_flags); });
  if (*serve) return serve_command(plan, o.workloads);
  as_usage([&] { check_plan(plan, o.out); });

  ConsoleReporter console(std::cout, o.aggregates_only);
  std::optional<JsonReporter> json;
  std::vector<Reporter*> reporters = {&console};
  if (!o.out.empty()) reporters.push_back(&json.emplace(o.out, o.aggregates_only));
  RunContext context = collect_context(argc, argv);
  context.python_runtime = runs_python ? python::python_runtime() : "none";
  context.python_executable = python::python_executable();
  const RunReport report = run_plan(plan, std::move(context), reporters);
  return exit_code(report, o.out);
}

}  // namespace

int command_line(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "sharebench: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "sharebench: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace sharebench
