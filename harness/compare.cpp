#include "harness/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "common/error.hpp"
#include "harness/report.hpp"
#include "harness/statistics.hpp"
#include "harness/workload.hpp"
#include "strategies/registry.hpp"

namespace sharebench {
namespace {

using nlohmann::json;

// What one report says about one cell.
struct Samples {
  std::vector<double> rates, p99s;
  std::string failure;  // the reason of a failed repetition, if any
  std::string skipped;  // the reason the cell was skipped, if it was
  std::string strategy, workload;
  json batch;  // the batch its repetitions ran with; null where the report does not say
  json value_size, keys;  // its dataset's sizes: the entry's, else its workload's in the settings

  std::string why_not_run(const char* side) const {
    if (!failure.empty()) return std::string("failed in ") + side + ": " + failure;
    if (!skipped.empty()) return std::string("skipped in ") + side + ": " + skipped;
    return std::string("did not run in ") + side;
  }
};

double calibration_of(const json& report) {
  const json calibration = report["context"].value("calibration", json::object());
  const double c = calibration.is_object() ? calibration.value("lookups_per_second", 0.0) : 0.0;
  if (!(c > 0)) {
    throw Error("a report has no calibration figure (written with --no-calibration, or before it existed); "
                "--normalize needs one in both");
  }
  return c;
}

// The strategy and workload of a cell: its entry's fields, else the parts of its name
// (strategy/workload/procs:N).
void identify(Samples& s, const json& entry) {
  const std::string name = entry.value("run_name", entry.value("name", ""));
  const auto slash = name.find('/');
  if (s.strategy.empty()) s.strategy = entry.value("strategy", name.substr(0, slash));
  if (s.workload.empty() && slash != std::string::npos) {
    const auto second = name.find('/', slash + 1);  // npos: the rest of the name
    s.workload = entry.value("workload", name.substr(slash + 1, second - slash - 1));
  }
}

// The dimensions cells are matched by besides strategy, workload and procs: the sizes either
// report sweeps (its names carry them), so that a sweep compares cell by cell with another,
// and a single size with the sweep's cell of that size. Sizes neither report sweeps are
// settings: two single-size reports of other sizes are `not comparable`, as any setting.
struct Dimensions {
  bool value_size = false, keys = false;
};

bool names_carry(const json& report, const std::string& segment) {
  for (const json& b : report["benchmarks"]) {
    if (b.value("run_name", b.value("name", "")).find("/" + segment) != std::string::npos) return true;
  }
  return false;
}

Dimensions swept_by(const json& base, const json& candidate) {
  return {names_carry(base, "value:") || names_carry(candidate, "value:"),
          names_carry(base, "keys:") || names_carry(candidate, "keys:")};
}

// `name` with its size segments replaced by those `dims` match by.
std::string matched_name(const std::string& name, const json& value_size, const json& keys, Dimensions dims) {
  std::string base;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t slash = std::min(name.find('/', start), name.size());
    const std::string segment = name.substr(start, slash - start);
    if (segment.rfind("value:", 0) != 0 && segment.rfind("keys:", 0) != 0) base += (base.empty() ? "" : "/") + segment;
    start = slash + 1;
  }
  auto text = [](const json& v, std::string (*format)(std::uint64_t)) {
    return v.is_number_integer() && v.get<std::int64_t>() >= 0 ? format(v.get<std::uint64_t>()) : std::string("?");
  };
  if (dims.value_size) base += "/value:" + text(value_size, value_size_text);
  if (dims.keys) base += "/keys:" + text(keys, key_count_text);
  return base;
}

// The workload entries of a report's settings (a sweep has one per size, under one name).
std::vector<json> workloads_of(const json& report) {
  return report["context"].value("settings", json::object()).value("workloads", std::vector<json>{});
}

std::map<std::string, Samples> samples_of(const json& report, bool normalize, Dimensions dims) {
  const double scale = normalize ? calibration_of(report) : 1;
  const std::vector<json> workloads = workloads_of(report);
  // A cell's sizes: its entry's fields; a report written before it had them ran one size
  // per workload, its settings'.
  auto size_of = [&](const json& entry, const char* field) {
    if (entry.contains(field)) return entry[field];
    Samples named;
    identify(named, entry);
    for (const json& w : workloads) {
      if (w.value("name", "") == named.workload && w.contains(field)) return w[field];
    }
    return json();
  };
  auto key_of = [&](const json& entry, const std::string& name) {
    return matched_name(name, size_of(entry, "value_size"), size_of(entry, "keys"), dims);
  };
  std::map<std::string, Samples> cells;
  std::map<std::string, const json*> medians;  // aggregate entries, for aggregates-only reports
  for (const json& b : report["benchmarks"]) {
    const std::string run_type = b.value("run_type", "iteration");
    if (run_type == "aggregate") {
      if (b.value("aggregate_name", "") == "median") medians[key_of(b, b.value("run_name", ""))] = &b;
      continue;
    }
    Samples& s = cells[key_of(b, b.value("name", ""))];
    identify(s, b);
    s.value_size = size_of(b, "value_size");
    s.keys = size_of(b, "keys");
    const std::string status = b.value("status", "ok");
    if (status == "failed") s.failure = b.value("reason", "failed");
    if (status == "skipped") s.skipped = b.value("reason", "skipped");
    if (status != "ok") continue;
    if (b.contains("batch")) s.batch = b["batch"];
    s.rates.push_back(b.value("items_per_second", 0.0) / scale);
    s.p99s.push_back(b["latency_ns"].value("p99", 0.0) * (normalize ? scale / 1e9 : 1));
  }
  for (const auto& [name, median] : medians) {
    Samples& s = cells[name];
    identify(s, *median);
    s.value_size = size_of(*median, "value_size");
    s.keys = size_of(*median, "keys");
    if (!s.rates.empty() || !s.failure.empty()) continue;
    s.rates.push_back(median->value("items_per_second", 0.0) / scale);
    s.p99s.push_back((*median)["latency_ns"].value("p99", 0.0) * (normalize ? scale / 1e9 : 1));
  }
  return cells;
}

double median_of(const std::vector<double>& v) { return aggregate(v).median; }

// P(U >= u) for the count U of pairs (h, l) with l < h, when all orderings are equally
// likely; counts[i][j][u] = orderings of i highs and j lows with U = u.
double exact_upper_tail(std::size_t n_high, std::size_t n_low, std::size_t u) {
  const std::size_t max_u = n_high * n_low;
  std::vector<std::vector<std::vector<double>>> counts(
      n_high + 1, std::vector<std::vector<double>>(n_low + 1, std::vector<double>(max_u + 1, 0)));
  for (std::size_t i = 0; i <= n_high; ++i) {
    for (std::size_t j = 0; j <= n_low; ++j) {
      if (i == 0 || j == 0) {
        counts[i][j][0] = 1;
        continue;
      }
      for (std::size_t k = 0; k <= i * j; ++k) {
        // The largest value is a high (it beats all j lows) or a low (it beats nothing).
        counts[i][j][k] = (k >= j ? counts[i - 1][j][k - j] : 0) + counts[i][j - 1][k];
      }
    }
  }
  double tail = 0, total = 0;
  for (std::size_t k = 0; k <= max_u; ++k) {
    total += counts[n_high][n_low][k];
    if (k >= u) tail += counts[n_high][n_low][k];
  }
  return tail / total;
}

std::string percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%+.1f%%", 100 * fraction);
  return text;
}

// A setting's value as a line names it: "" is none, integral numbers have no fraction,
// lists are comma-joined.
std::string setting_text(const json& value) {
  if (value.is_null()) return "none";
  if (value.is_string()) return value.get_ref<const std::string&>().empty() ? "none" : value.get<std::string>();
  if (value.is_number()) {
    char text[32];
    std::snprintf(text, sizeof text, "%.10g", value.get<double>());
    return text;
  }
  if (value.is_array()) {
    std::string text;
    for (const json& item : value) text += (text.empty() ? "" : ",") + setting_text(item);
    return text.empty() ? "none" : text;
  }
  return value.dump();
}

std::string difference(const std::string& label, const json& base, const json& candidate) {
  return label + " " + setting_text(base) + " vs " + setting_text(candidate);
}

// context.settings fields that do not change what a cell measures (how many samples, which
// procs, the seed of equally likely op sequences, a failure deadline, the figures measured
// before the first cell), and those judged per cell below.
const std::set<std::string> kNotMeasured = {"repetitions", "procs", "seed", "op_timeout_s", "calibration"};
const std::set<std::string> kPerCell = {"batch", "workloads", "target_ops_per_second"};

// What one report says about how its cells were measured.
struct MeasuredSettings {
  json run = json::object();  // label -> value: what every cell of the run shares
  json options = json::object();  // strategy option (its JSON name) -> value
  std::map<std::string, json> workloads;  // name (and the sizes matched by) -> its parameters
  json batch;  // --batch as given
  Dimensions dims;

  // The workload a cell of `workload` at these sizes ran.
  std::string workload_key(const std::string& workload, const json& value_size, const json& keys) const {
    return matched_name(workload, value_size, keys, dims);
  }

  MeasuredSettings(const json& context, Dimensions matched) : dims(matched) {
    const json settings = context.value("settings", json::object());
    for (const auto& [key, value] : settings.items()) {
      if (kNotMeasured.count(key) > 0 || kPerCell.count(key) > 0) continue;
      (is_strategy_option(key) ? options : run)[key] = value;
    }
    if (settings.contains("batch")) batch = settings["batch"];
    for (const json& w : settings.value("workloads", json::array())) {
      workloads[workload_key(w.value("name", ""), w.value("value_size", json()), w.value("keys", json()))] = w;
    }
    if (context.contains("load")) {
      const double target = context["load"].value("target_ops_per_second", 0.0);
      run["load"] = target > 0 ? "open at " + setting_text(target) + " ops/s" : "closed";
    }
    if (context.contains("pinning")) run["cpus"] = context["pinning"].value("cpus", json::array());
    // A Debug or sanitized binary is another program. (The flags of one build type are the
    // revision's own choice, part of what an A/B of two revisions measures.)
    for (const char* key : {"build_type", "sanitizers"}) {
      if (context.contains(key)) run[key] = context[key];
    }
  }

  static const RegisteredOption* registered(const std::string& json_name) {
    for (const RegisteredOption& option : registered_options()) {
      if (option.spec->json_name == json_name) return &option;
    }
    return nullptr;
  }
  // An option of another build's strategy is unknown here; it counts for every cell.
  static bool is_strategy_option(const std::string& key) { return registered(key) != nullptr; }
  static bool applies(const std::string& option, const std::string& strategy) {
    const RegisteredOption* o = registered(option);
    return o == nullptr || std::any_of(o->owners.begin(), o->owners.end(),
                                       [&](const StrategyInfo* s) { return s->name == strategy; });
  }
};

// The labels both objects have whose values differ; a label one side lacks was not
// recorded by its build and is not judged.
void add_differences(std::vector<std::string>& out, const json& base, const json& candidate,
                     const std::function<bool(const std::string&)>& wanted, const std::string& prefix = "") {
  for (const auto& [key, value] : base.items()) {
    if (key == "name" || !candidate.contains(key) || !wanted(key) || candidate[key] == value) continue;
    out.push_back(prefix + difference(key, value, candidate[key]));
  }
}

// A workload's parameters that change what its ops do: the key count and value size of a
// workload that never gets or puts (counter, which only adds to its counters) are not.
std::function<bool(const std::string&)> measured_parameters(const json& base, const json& candidate) {
  auto touches_data = [](const json& w) {
    return !w.contains("get_ratio") || w["get_ratio"] != 0 || w.value("put_ratio", 0.0) > 0;
  };
  const bool data = touches_data(base) || touches_data(candidate);
  return [data](const std::string& key) { return data || (key != "keys" && key != "value_size"); };
}

std::vector<std::string> cell_differences(const MeasuredSettings& base, const MeasuredSettings& candidate,
                                          const Samples& b, const Samples& a) {
  std::vector<std::string> out;
  auto all = [](const std::string&) { return true; };
  add_differences(out, base.run, candidate.run, all);
  add_differences(out, base.options, candidate.options,
                  [&](const std::string& option) { return MeasuredSettings::applies(option, b.strategy); });
  const auto wb = base.workloads.find(base.workload_key(b.workload, b.value_size, b.keys));
  const auto wa = candidate.workloads.find(candidate.workload_key(a.workload, a.value_size, a.keys));
  if (wb != base.workloads.end() && wa != candidate.workloads.end()) {
    add_differences(out, wb->second, wa->second, measured_parameters(wb->second, wa->second));
  }
  // The batch the cell ran with, where both say; --batch auto resolves per strategy.
  if (!b.batch.is_null() && !a.batch.is_null()) {
    if (b.batch != a.batch) out.push_back(difference("batch", b.batch, a.batch));
  } else if (!base.batch.is_null() && !candidate.batch.is_null() && base.batch != candidate.batch) {
    out.push_back(difference("batch", base.batch, candidate.batch));
  }
  return out;
}

// The settings line above the table. A workload parameter that differs alike in every
// workload both runs have (--keys) is named once, else with its workload.
std::vector<std::string> run_differences(const MeasuredSettings& base, const MeasuredSettings& candidate) {
  std::vector<std::string> out;
  auto all = [](const std::string&) { return true; };
  add_differences(out, base.run, candidate.run, all);
  for (const auto& [key, value] : base.options.items()) {
    if (!candidate.options.contains(key) || candidate.options[key] == value) continue;
    std::string owners;
    if (const RegisteredOption* o = MeasuredSettings::registered(key)) {
      for (const StrategyInfo* s : o->owners) owners += (owners.empty() ? "" : ", ") + std::string(s->name);
    }
    out.push_back(difference(owners.empty() ? key : key + " (" + owners + ")", value, candidate.options[key]));
  }
  std::map<std::string, std::vector<std::string>> workloads_by_difference;
  std::size_t common = 0;
  for (const auto& [name, wb] : base.workloads) {
    const auto wa = candidate.workloads.find(name);
    if (wa == candidate.workloads.end()) continue;
    ++common;
    std::vector<std::string> differences;
    add_differences(differences, wb, wa->second, measured_parameters(wb, wa->second));
    for (const std::string& d : differences) workloads_by_difference[d].push_back(name);
  }
  for (const auto& [d, names] : workloads_by_difference) {
    if (names.size() == common) {
      out.push_back(d);
    } else {
      for (const std::string& name : names) out.push_back(name + ": " + d);
    }
  }
  if (!base.batch.is_null() && !candidate.batch.is_null() && base.batch != candidate.batch) {
    out.push_back(difference("batch", base.batch, candidate.batch));
  }
  return out;
}

// Facts of the machine and toolchain: they differ between two machines, or two revisions, by
// nature, so they are named, never judged (--normalize is for machines).
std::vector<std::string> environment_differences(const json& base, const json& candidate) {
  std::vector<std::string> out;
  for (const char* key : {"host_name", "cpu_model", "num_cpus", "kernel", "compiler", "compile_flags"}) {
    if (base.contains(key) && candidate.contains(key) && base[key] != candidate[key]) {
      out.push_back(difference(key, base[key], candidate[key]));
    }
  }
  return out;
}

// --normalize divides each side by its own calibration; on one machine the true ratio of the
// two is 1, so the division only adds the calibration's run-to-run noise.
std::string normalize_warning(const json& base_report, const json& candidate_report) {
  const json& base = base_report["context"];
  const json& candidate = candidate_report["context"];
  const std::string host = base.value("host_name", ""), cpu = base.value("cpu_model", "");
  if (host.empty() || cpu.empty() || candidate.value("host_name", "") != host ||
      candidate.value("cpu_model", "") != cpu) {
    return "";
  }
  const double b = calibration_of(base_report), a = calibration_of(candidate_report);
  std::string spread;  // reports written before the calibration had rounds do not say
  // Both are objects here: calibration_of() refused a report without one.
  const json cb = base.value("calibration", json::object()), ca = candidate.value("calibration", json::object());
  if (cb.contains("cv") && ca.contains("cv")) {
    char text[96];
    std::snprintf(text, sizeof text, "; cv of each run's calibration rounds %.1f%% and %.1f%%",
                  100 * cb["cv"].get<double>(), 100 * ca["cv"].get<double>());
    spread = text;
  }
  return "--normalize on two reports from one machine (" + host + ", " + cpu +
         ") only adds the calibration's noise: BASE " + human_rate(b) + ", NEW " + human_rate(a) + " lookups/s (" +
         percent(a / b - 1) + ")" + spread + "; compare without --normalize";
}

}  // namespace

const char* to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::same:
      return "same";
    case Verdict::improved:
      return "improved";
    case Verdict::regressed:
      return "REGRESSED";
    case Verdict::noise:
      return "noise";
    case Verdict::failed:
      return "FAILED";
    case Verdict::not_comparable:
      return "not comparable";
  }
  return "?";
}

bool Comparison::regressed() const {
  return std::any_of(cells.begin(), cells.end(), [](const CellComparison& c) {
    return c.verdict == Verdict::regressed || c.verdict == Verdict::failed;
  });
}

double mann_whitney_p_lower(std::span<const double> higher, std::span<const double> lower) {
  double u = 0;
  bool ties = false;
  for (double h : higher) {
    for (double l : lower) {
      u += l < h ? 1.0 : l == h ? 0.5 : 0.0;
      ties |= l == h;
    }
  }
  const std::size_t n1 = higher.size(), n2 = lower.size();
  std::vector<double> all(higher.begin(), higher.end());
  all.insert(all.end(), lower.begin(), lower.end());
  std::sort(all.begin(), all.end());
  ties |= std::adjacent_find(all.begin(), all.end()) != all.end();
  if (!ties && n1 <= 20 && n2 <= 20) return exact_upper_tail(n1, n2, static_cast<std::size_t>(u));
  const double n = static_cast<double>(n1 + n2);
  double tie_term = 0;
  for (auto it = all.begin(); it != all.end();) {
    const auto next = std::upper_bound(it, all.end(), *it);
    const double t = static_cast<double>(next - it);
    tie_term += t * t * t - t;
    it = next;
  }
  const double product = static_cast<double>(n1 * n2);
  const double variance = product / 12 * ((n + 1) - tie_term / (n * (n - 1)));
  if (variance <= 0) return 1;
  const double z = (u - product / 2 - 0.5) / std::sqrt(variance);
  return 0.5 * std::erfc(z / std::sqrt(2.0));
}

json load_report(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot be read");
  json report;
  try {
    report = json::parse(in);
  } catch (const json::exception&) {
    throw Error(path + ": not JSON");
  }
  if (!report.is_object() || !report.contains("context") || !report["context"].is_object() ||
      !report["context"].contains("sharebench_schema_version") || !report.contains("benchmarks") ||
      !report["benchmarks"].is_array()) {
    throw Error(path + ": not a sharebench report (no context.sharebench_schema_version or benchmarks)");
  }
  if (report["context"]["sharebench_schema_version"] != kReportSchemaVersion) {
    throw Error(path + ": report schema version " + report["context"]["sharebench_schema_version"].dump() +
                ", this build reads " + std::to_string(kReportSchemaVersion));
  }
  return report;
}

namespace {

// The verdict on one cell both reports have, from its figures alone.
CellComparison judge(const std::string& name, const Samples& b, const Samples& a, const CompareOptions& options) {
  CellComparison c;
  c.name = name;
  c.base_rates = b.rates;
  c.new_rates = a.rates;
  if (b.rates.empty()) {
    c.note = b.why_not_run("BASE");
    return c;
  }
  if (a.rates.empty()) {
    c.verdict = a.failure.empty() ? Verdict::same : Verdict::failed;
    c.note = a.why_not_run("NEW");
    return c;
  }
  c.base_median = median_of(b.rates);
  c.new_median = median_of(a.rates);
  c.change = c.base_median > 0 ? c.new_median / c.base_median - 1 : 0;
  c.base_p99 = median_of(b.p99s);
  c.new_p99 = median_of(a.p99s);
  c.p99_change = c.base_p99 > 0 ? c.new_p99 / c.base_p99 - 1 : 0;
  const bool tested = b.rates.size() >= 3 && a.rates.size() >= 3;
  if (c.change < -options.threshold) {
    if (tested) c.p_value = mann_whitney_p_lower(b.rates, a.rates);
    c.verdict = !tested || *c.p_value <= options.alpha ? Verdict::regressed : Verdict::noise;
  } else if (c.change > options.threshold) {
    if (tested) c.p_value = mann_whitney_p_lower(a.rates, b.rates);
    c.verdict = !tested || *c.p_value <= options.alpha ? Verdict::improved : Verdict::noise;
  }
  if (!a.failure.empty()) {
    c.verdict = Verdict::failed;
    c.note = "a repetition failed in NEW: " + a.failure;
  }
  return c;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string text;
  for (const std::string& p : parts) text += (text.empty() ? "" : "; ") + p;
  return text;
}

}  // namespace

Comparison compare_reports(const json& base, const json& candidate, const CompareOptions& options) {
  Comparison result;
  result.options = options;
  std::map<std::string, Samples> before, after;
  try {
    const Dimensions dims = swept_by(base, candidate);
    before = samples_of(base, options.normalize, dims);
    after = samples_of(candidate, options.normalize, dims);
    const MeasuredSettings base_settings(base["context"], dims), new_settings(candidate["context"], dims);
    result.settings_differ = run_differences(base_settings, new_settings);
    result.environment_differ = environment_differences(base["context"], candidate["context"]);
    if (options.normalize) {
      if (std::string w = normalize_warning(base, candidate); !w.empty()) result.warnings.push_back(std::move(w));
    }
    for (const auto& [name, b] : before) {
      const auto it = after.find(name);
      if (it == after.end()) {
        result.only_in_base.push_back(name);
        continue;
      }
      CellComparison c = judge(name, b, it->second, options);
      c.settings_differ = cell_differences(base_settings, new_settings, b, it->second);
      if (!c.settings_differ.empty()) {
        const std::string settings = joined(c.settings_differ);
        if (options.ignore_settings) {
          c.note += (c.note.empty() ? "" : "; ") + ("settings differ, compared anyway: " + settings);
        } else {
          // Figures measured under other settings say nothing about the code: no verdict.
          c.verdict = Verdict::not_comparable;
          c.p_value.reset();
          c.note = settings + (c.note.empty() ? "" : "; " + c.note);
        }
      }
      result.cells.push_back(std::move(c));
    }
  } catch (const json::exception& e) {
    throw Error(std::string("a report has a field of an unexpected type (") + e.what() + ")");
  }
  for (const auto& [name, a] : after) {
    if (before.count(name) == 0) result.only_in_new.push_back(name);
  }
  return result;
}

void print_comparison(std::ostream& out, const Comparison& comparison) {
  const bool normalized = comparison.options.normalize;
  if (!comparison.settings_differ.empty()) {
    out << "settings differ: " << joined(comparison.settings_differ)
        << (comparison.options.ignore_settings ? " (--ignore-settings: the cells are compared anyway)"
                                               : " (the cells they apply to are not comparable; --ignore-settings "
                                                 "compares them anyway)")
        << '\n';
  }
  if (!comparison.environment_differ.empty()) out << "environment differs: " << joined(comparison.environment_differ) << '\n';
  for (const std::string& w : comparison.warnings) out << "warning: " << w << '\n';
  // Normalized, a rate is ops per calibration lookup (ops/s over lookups/s) and a latency
  // is the number of calibration lookups that fit in it (s x lookups/s).
  const int latency_width = normalized ? 14 : 10;
  char line[320];
  std::snprintf(line, sizeof line, "%-36s %12s %12s %9s %*s %*s %9s %8s  %s", "cell",
                normalized ? "base ops/cal" : "base ops/s", normalized ? "new ops/cal" : "new ops/s", "change",
                latency_width, "base p99", latency_width, "new p99", "p99", "p-value", "verdict");
  out << line << '\n' << std::string(std::string_view(line).size(), '-') << '\n';
  auto rate = [&](double r) {
    char text[32];
    if (normalized) {
      std::snprintf(text, sizeof text, "%.4g", r);
      return std::string(text);
    }
    return human_rate(r);
  };
  auto latency = [&](double p99) {
    char text[32];
    if (normalized) {
      std::snprintf(text, sizeof text, "%.1f lookups", p99);
      return std::string(text);
    }
    return human_ns(p99);
  };
  std::size_t regressions = 0, not_comparable = 0;
  for (const CellComparison& c : comparison.cells) {
    regressions += c.verdict == Verdict::regressed || c.verdict == Verdict::failed;
    not_comparable += c.verdict == Verdict::not_comparable;
    if (c.base_rates.empty() || c.new_rates.empty()) {
      std::snprintf(line, sizeof line, "%-36s %12s %12s %9s %*s %*s %9s %8s  ", c.name.c_str(), "-", "-", "-",
                    latency_width, "-", latency_width, "-", "-", "-");
    } else {
      char p[16] = "-";
      if (c.p_value) std::snprintf(p, sizeof p, "%.3f", *c.p_value);
      std::snprintf(line, sizeof line, "%-36s %12s %12s %9s %*s %*s %9s %8s  ", c.name.c_str(),
                    rate(c.base_median).c_str(), rate(c.new_median).c_str(), percent(c.change).c_str(),
                    latency_width, latency(c.base_p99).c_str(), latency_width, latency(c.new_p99).c_str(),
                    percent(c.p99_change).c_str(), p);
    }
    out << line << to_string(c.verdict) << (c.note.empty() ? "" : ": ") << c.note << '\n';
  }
  for (const std::string& name : comparison.only_in_base) out << "only in BASE: " << name << '\n';
  for (const std::string& name : comparison.only_in_new) out << "only in NEW: " << name << '\n';
  std::snprintf(line, sizeof line,
                "%zu cells compared, %zu regressed (a drop of more than %.0f%% in median ops/s, and a one-sided "
                "U test p <= %.2f when both sides have 3+ repetitions)",
                comparison.cells.size() - not_comparable, regressions, 100 * comparison.options.threshold,
                comparison.options.alpha);
  out << line;
  if (not_comparable > 0) out << "; " << not_comparable << " not comparable (their settings differ)";
  if (normalized) {
    out << "; figures divided by each report's calibration: ops/cal is ops per calibration lookup, p99 in "
           "calibration lookups (the time of that many)";
  }
  out << '\n';
}

json comparison_json(const Comparison& comparison) {
  json cells = json::array();
  for (const CellComparison& c : comparison.cells) {
    cells.push_back({{"name", c.name},
                     {"base_ops_per_second", c.base_rates},
                     {"new_ops_per_second", c.new_rates},
                     {"base_median", c.base_median},
                     {"new_median", c.new_median},
                     {"change", c.change},
                     {"base_p99_ns", c.base_p99},
                     {"new_p99_ns", c.new_p99},
                     {"p99_change", c.p99_change},
                     {"p_value", c.p_value ? json(*c.p_value) : json(nullptr)},
                     {"verdict", to_string(c.verdict)},
                     {"settings_differ", c.settings_differ},
                     {"note", c.note}});
  }
  const bool normalized = comparison.options.normalize;
  return {{"threshold", comparison.options.threshold},
          {"alpha", comparison.options.alpha},
          {"normalized", normalized},
          // Normalized, the *_ops_per_second and median figures are ops per calibration lookup
          // and the *_p99_ns figures calibration lookups; the names stay for readers of both.
          {"units",
           {{"rate", normalized ? "ops per calibration lookup" : "ops/s"},
            {"p99", normalized ? "calibration lookups" : "ns"}}},
          {"ignore_settings", comparison.options.ignore_settings},
          {"settings_differ", comparison.settings_differ},
          {"environment_differ", comparison.environment_differ},
          {"warnings", comparison.warnings},
          {"regressed", comparison.regressed()},
          {"cells", cells},
          {"only_in_base", comparison.only_in_base},
          {"only_in_new", comparison.only_in_new}};
}

json github_benchmark_json(const Comparison& comparison) {
  json entries = json::array();
  for (const CellComparison& c : comparison.cells) {
    if (c.new_rates.empty()) continue;
    const bool normalized = comparison.options.normalize;
    const Aggregate a = aggregate(c.new_rates);
    char range[32], p99[48];
    std::snprintf(range, sizeof range, normalized ? "\u00b1%.3g" : "\u00b1%.0f", a.stddev);
    std::snprintf(p99, sizeof p99, "%.1f calibration lookups", c.new_p99);
    entries.push_back({{"name", c.name},
                       {"unit", normalized ? "ops per calibration lookup" : "ops/s"},
                       {"value", c.new_median},
                       {"range", range},
                       {"extra", std::to_string(c.new_rates.size()) + " repetitions; p99 " +
                                     (normalized ? std::string(p99) : human_ns(c.new_p99))}});
  }
  return entries;
}

}  // namespace sharebench
