// The report: the plain data of a run and the two ways it is written out, a JSON document
// (a superset of Google Benchmark's format; results/SCHEMA.md) and a console table.
#pragma once

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <vector>

#include "harness/context.hpp"
#include "harness/runner.hpp"
#include "harness/statistics.hpp"

namespace sharebench {

inline constexpr int kReportSchemaVersion = 1;

struct RunReport {
  RunContext context;
  nlohmann::json settings;  // the run's options as given (durations, seed, sampling, ...)
  std::vector<CellResult> cells;  // in run order; the repetitions of a cell are consecutive
  std::vector<CellAggregates> aggregates;  // one per cell, once the cells have run
  std::vector<std::string> warnings;
  int repetitions = 1;
  bool aggregates_only = false;  // with repetitions: report the aggregates, not each run
  bool partial = false;  // the run was interrupted; `cells` holds what was measured
};

nlohmann::json to_json(const RunReport& report);

// Writes through a temporary file in the same directory and a rename, so a reader sees the
// old report or the new one, never half of one. Throws Error on failure.
void write_report_file(const RunReport& report, const std::string& path);

// Throws Error if `path` cannot be written (missing directory, not writable, a directory,
// a device or pipe).
void check_writable(const std::string& path);
// Where the report for --out `path` goes: the target of a symlink, else the path itself.
std::string report_destination(const std::string& path);

// The console table, printed a row at a time as cells finish.
class ConsoleTable {
 public:
  explicit ConsoleTable(std::ostream& out) : out_(out) {}
  void header();
  void row(const CellResult& cell);
  void warnings(const std::vector<std::string>& warnings);

 private:
  std::ostream& out_;
};

// 1234567 -> "1.23 M"; 950 -> "950"
std::string human_rate(double per_second);
// 1500 -> "1.50 us"
std::string human_ns(double ns);

}  // namespace sharebench
