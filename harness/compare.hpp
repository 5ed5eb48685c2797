// `sharebench compare BASE NEW`: the regression gate. Cells are matched by strategy, workload,
// procs and the sizes either report sweeps (value size, keys: a sweep cell by cell against
// another, a single size against the sweep's cell of that size); a cell one report lacks is
// listed as only in it. A pair is judged only if both were measured alike: the settings that change what is measured
// (workload, keys, value size, load, batch, pinning, window, build, the strategy's options)
// are read from both reports, and a cell whose settings differ is `not comparable` unless
// the user asks to compare anyway. A comparable cell regresses when its median throughput
// drops by more than the threshold AND the drop is beyond the noise its repetitions show (a
// one-sided Mann-Whitney U test when both sides have at least 3 repetitions; otherwise the
// threshold alone decides). A cell that ran ok in BASE and failed in NEW regresses too.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

namespace sharebench {

struct CompareOptions {
  double threshold = 0.10;  // a drop of more than this fraction of BASE's median
  double alpha = 0.05;  // the U test's significance level
  bool normalize = false;  // divide by each report's calibration figure first
  bool ignore_settings = false;  // judge cells whose settings differ instead of `not comparable`
};

enum class Verdict { same, improved, regressed, noise, failed, not_comparable };
const char* to_string(Verdict verdict);

struct CellComparison {
  std::string name;
  std::vector<double> base_rates, new_rates;  // ops/s of the repetitions that ran ok
  double base_median = 0, new_median = 0;
  double change = 0;  // new / base - 1
  double base_p99 = 0, new_p99 = 0;  // medians, ns (normalized: calibration lookups, ns x calibration / 1e9)
  double p99_change = 0;
  std::optional<double> p_value;  // when both sides have >= 3 repetitions
  Verdict verdict = Verdict::same;
  std::vector<std::string> settings_differ;  // "keys 1000000 vs 100000", BASE's first
  std::string note;  // why failed, or what was unusual
};

struct Comparison {
  std::vector<CellComparison> cells;
  std::vector<std::string> only_in_base, only_in_new;
  // Run-wide: the settings that differ (an option naming its strategies), the facts of the
  // machine and toolchain that differ (named, never judged), and warnings.
  std::vector<std::string> settings_differ, environment_differ, warnings;
  CompareOptions options;
  bool regressed() const;
};

// Throws Error("<label>: ...") if a document is not a sharebench report.
Comparison compare_reports(const nlohmann::json& base, const nlohmann::json& candidate,
                           const CompareOptions& options);
nlohmann::json load_report(const std::string& path);  // throws Error naming the file

void print_comparison(std::ostream& out, const Comparison& comparison);
nlohmann::json comparison_json(const Comparison& comparison);
// github-action-benchmark's "customBiggerIsBetter" input: one entry per cell of NEW.
nlohmann::json github_benchmark_json(const Comparison& comparison);

// One-sided Mann-Whitney U test: the probability of seeing `lower` this far below `higher`
// by chance if both come from one distribution. Exact for small samples without ties, the
// normal approximation with tie correction otherwise.
double mann_whitney_p_lower(std::span<const double> higher, std::span<const double> lower);

}  // namespace sharebench
