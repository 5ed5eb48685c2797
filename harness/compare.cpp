#include "harness/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>

#include "common/error.hpp"
#include "harness/report.hpp"
#include "harness/statistics.hpp"

namespace sharebench {
namespace {

using nlohmann::json;

// What one report says about one cell.
struct Samples {
  std::vector<double> rates, p99s;
  std::string failure;  // the reason of a failed repetition, if any
  std::string skipped;  // the reason the cell was skipped, if it was

  std::string why_not_run(const char* side) const {
    if (!failure.empty()) return std::string("failed in ") + side + ": " + failure;
    if (!skipped.empty()) return std::string("skipped in ") + side + ": " + skipped;
    return std::string("did not run in ") + side;
  }
};

double calibration_of(const json& report) {
  const double c = report["context"].value("calibration", json::object()).value("lookups_per_second", 0.0);
  if (!(c > 0)) throw Error("a report has no calibration figure; --normalize needs one in both");
  return c;
}

std::map<std::string, Samples> samples_of(const json& report, bool normalize) {
  const double scale = normalize ? calibration_of(report) : 1;
  std::map<std::string, Samples> cells;
  std::map<std::string, const json*> medians;  // aggregate entries, for aggregates-only reports
  for (const json& b : report["benchmarks"]) {
    const std::string run_type = b.value("run_type", "iteration");
    if (run_type == "aggregate") {
      if (b.value("aggregate_name", "") == "median") medians[b.value("run_name", "")] = &b;
      continue;
    }
    Samples& s = cells[b.value("name", "")];
    const std::string status = b.value("status", "ok");
    if (status == "failed") s.failure = b.value("reason", "failed");
    if (status == "skipped") s.skipped = b.value("reason", "skipped");
    if (status != "ok") continue;
    s.rates.push_back(b.value("items_per_second", 0.0) / scale);
    s.p99s.push_back(b["latency_ns"].value("p99", 0.0) * (normalize ? scale / 1e9 : 1));
  }
  for (const auto& [name, median] : medians) {
    Samples& s = cells[name];
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

Comparison compare_reports(const json& base, const json& candidate, const CompareOptions& options) {
  Comparison result;
  result.options = options;
  std::map<std::string, Samples> before, after;
  try {
    before = samples_of(base, options.normalize);
    after = samples_of(candidate, options.normalize);
  } catch (const json::exception& e) {
    throw Error(std::string("a report has a field of an unexpected type (") + e.what() + ")");
  }
  for (const auto& [name, b] : before) {
    const auto it = after.find(name);
    if (it == after.end()) {
      result.only_in_base.push_back(name);
      continue;
    }
    const Samples& a = it->second;
    CellComparison c;
    c.name = name;
    c.base_rates = b.rates;
    c.new_rates = a.rates;
    if (b.rates.empty()) {
      c.note = b.why_not_run("BASE");
      result.cells.push_back(std::move(c));
      continue;
    }
    if (a.rates.empty()) {
      c.verdict = a.failure.empty() ? Verdict::same : Verdict::failed;
      c.note = a.why_not_run("NEW");
      result.cells.push_back(std::move(c));
      continue;
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
    result.cells.push_back(std::move(c));
  }
  for (const auto& [name, a] : after) {
    if (before.count(name) == 0) result.only_in_new.push_back(name);
  }
  return result;
}

void print_comparison(std::ostream& out, const Comparison& comparison) {
  const bool normalized = comparison.options.normalize;
  char line[320];
  std::snprintf(line, sizeof line, "%-36s %12s %12s %9s %10s %10s %9s %8s  %s", "cell",
                normalized ? "base x cal" : "base ops/s", normalized ? "new x cal" : "new ops/s", "change",
                "base p99", "new p99", "p99", "p-value", "verdict");
  out << line << '\n' << std::string(std::string_view(line).size(), '-') << '\n';
  auto rate = [&](double r) {
    char text[32];
    if (normalized) {
      std::snprintf(text, sizeof text, "%.4f", r);
      return std::string(text);
    }
    return human_rate(r);
  };
  auto latency = [&](double ns) {
    char text[32];
    if (normalized) {
      std::snprintf(text, sizeof text, "%.1f", ns);
      return std::string(text);
    }
    return human_ns(ns);
  };
  std::size_t regressions = 0;
  for (const CellComparison& c : comparison.cells) {
    regressions += c.verdict == Verdict::regressed || c.verdict == Verdict::failed;
    if (c.base_rates.empty() || c.new_rates.empty()) {
      std::snprintf(line, sizeof line, "%-36s %12s %12s %9s %10s %10s %9s %8s  %s: %s", c.name.c_str(), "-", "-",
                    "-", "-", "-", "-", "-", to_string(c.verdict), c.note.c_str());
    } else {
      char p[16] = "-";
      if (c.p_value) std::snprintf(p, sizeof p, "%.3f", *c.p_value);
      std::snprintf(line, sizeof line, "%-36s %12s %12s %9s %10s %10s %9s %8s  %s%s%s", c.name.c_str(),
                    rate(c.base_median).c_str(), rate(c.new_median).c_str(), percent(c.change).c_str(),
                    latency(c.base_p99).c_str(), latency(c.new_p99).c_str(), percent(c.p99_change).c_str(), p,
                    to_string(c.verdict), c.note.empty() ? "" : ": ", c.note.c_str());
    }
    out << line << '\n';
  }
  for (const std::string& name : comparison.only_in_base) out << "only in BASE: " << name << '\n';
  for (const std::string& name : comparison.only_in_new) out << "only in NEW: " << name << '\n';
  std::snprintf(line, sizeof line,
                "%zu cells compared, %zu regressed (a drop of more than %.0f%% in median ops/s, and a one-sided "
                "U test p <= %.2f when both sides have 3+ repetitions)%s",
                comparison.cells.size(), regressions, 100 * comparison.options.threshold, comparison.options.alpha,
                normalized ? "; figures divided by each report's calibration" : "");
  out << line << '\n';
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
                     {"note", c.note}});
  }
  return {{"threshold", comparison.options.threshold},
          {"alpha", comparison.options.alpha},
          {"normalized", comparison.options.normalize},
          {"regressed", comparison.regressed()},
          {"cells", cells},
          {"only_in_base", comparison.only_in_base},
          {"only_in_new", comparison.only_in_new}};
}

json github_benchmark_json(const Comparison& comparison) {
  json entries = json::array();
  for (const CellComparison& c : comparison.cells) {
    if (c.new_rates.empty()) continue;
    const Aggregate a = aggregate(c.new_rates);
    char range[32];
    std::snprintf(range, sizeof range, "\u00b1%.0f", a.stddev);
    entries.push_back({{"name", c.name},
                       {"unit", comparison.options.normalize ? "ops per calibration lookup" : "ops/s"},
                       {"value", c.new_median},
                       {"range", range},
                       {"extra", std::to_string(c.new_rates.size()) + " repetitions; p99 " + human_ns(c.new_p99)}});
  }
  return entries;
}

}  // namespace sharebench
