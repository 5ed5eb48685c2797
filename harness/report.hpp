// The report: the plain data of a run, and the reporters that format it (as Google
// Benchmark's): a console table printed as cells finish, and a JSON document (a superset of
// Google Benchmark's format; results/SCHEMA.md) written when the run ends. Reporters only
// format; the runner measures and statistics.hpp aggregates.
#pragma once

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "harness/context.hpp"
#include "harness/results.hpp"
#include "harness/statistics.hpp"

namespace sharebench {

inline constexpr int kReportSchemaVersion = 1;

struct RunReport {
  RunContext context;
  nlohmann::json settings;  // the run's options as given (durations, seed, sampling, ...)
  std::vector<CellResult> cells;  // in run order; the repetitions of a cell are consecutive
  std::vector<CellAggregates> aggregates;  // one per cell, once the cells have run
  // Appended to, never rewritten: those known before the first cell, then those about the cells.
  std::vector<std::string> warnings;
  int repetitions = 1;
  bool sweeps_value_size = false, sweeps_keys = false;  // the run sweeps them: the table shows them
  bool partial = false;  // the run was interrupted; `cells` holds what was measured
};

// run_plan() calls context() once before the first cell (the report then holds the context,
// the settings and the warnings known so far), cell() as each cell finishes, and finish()
// once with the complete report.
class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void context(const RunReport& report) = 0;
  virtual void cell(const CellResult& cell) = 0;
  virtual void finish(const RunReport& report) = 0;
};

// The table on a stream: the warnings known before the first cell, a header, a row per cell
// as it finishes, then the warnings about the cells. With repetitions, each row carries its
// repetition index (column `rep`) and each cell's repetitions are followed by its mean,
// median, stddev and cv rows; in open loop, service-time columns follow the latency ones. A
// sweep shows the sizes it varies (`value`, `keys`); over value sizes, MB/s of values moved.
class ConsoleReporter final : public Reporter {
 public:
  // aggregates_only: with repetitions, a cell's aggregate rows without the rows of its
  // repetitions, except those that did not run ok (their reason must show).
  explicit ConsoleReporter(std::ostream& out, bool aggregates_only = false)
      : out_(out), aggregates_only_(aggregates_only) {}
  void context(const RunReport& report) override;
  void cell(const CellResult& cell) override;
  void finish(const RunReport& report) override;

 private:
  struct Row;
  std::string format(const Row& row) const;
  void print_aggregates();
  void warnings(const RunReport& report);

  std::ostream& out_;
  const bool aggregates_only_;
  int repetitions_ = 1;
  bool open_loop_ = false;
  bool sweeps_value_size_ = false, sweeps_keys_ = false;  // their columns show, and MB/s with value sizes
  std::vector<CellResult> repetitions_of_cell_;  // of the cell being run, until its aggregates show
  std::size_t warnings_shown_ = 0;
};

// The JSON document, written at finish() through a temporary file in the same directory and a
// rename, so a reader sees the old report or the new one, never half of one; a symlink's
// target is replaced, not the link. Throws Error if it cannot be written.
class JsonReporter final : public Reporter {
 public:
  // aggregates_only: with repetitions, the aggregates of each cell without its runs.
  JsonReporter(std::string path, bool aggregates_only) : path_(std::move(path)), aggregates_only_(aggregates_only) {}
  void context(const RunReport&) override {}
  void cell(const CellResult&) override {}
  void finish(const RunReport& report) override;

 private:
  std::string path_;
  bool aggregates_only_;
};

// Throws Error if `path` cannot be written (missing directory, not writable, a directory,
// a device or pipe).
void check_writable(const std::string& path);

// 1234567 -> "1.23 M"; 950 -> "950"
std::string human_rate(double per_second);
// 1500 -> "1.50 us"
std::string human_ns(double ns);

}  // namespace sharebench
