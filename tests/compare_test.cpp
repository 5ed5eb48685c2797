// The regression gate: which changes fail it and which do not.
#include <gtest/gtest.h>

#include <functional>
#include <sstream>
#include <vector>

#include "common/error.hpp"
#include "harness/compare.hpp"
#include "harness/workload.hpp"
#include "tests/test_support.hpp"

namespace sharebench {
namespace {

using nlohmann::json;

// A report with the given ops/s per repetition for each cell (and p99 = 1e9 / ops/s).
json report(const std::vector<std::pair<std::string, std::vector<double>>>& cells, double calibration = 1e7) {
  json benchmarks = json::array();
  for (const auto& [name, rates] : cells) {
    for (double rate : rates) {
      benchmarks.push_back({{"name", name},
                            {"run_type", "iteration"},
                            {"status", "ok"},
                            {"items_per_second", rate},
                            {"latency_ns", {{"p99", 1e9 / rate}}}});
    }
  }
  return {{"context", {{"sharebench_schema_version", 1}, {"calibration", {{"lookups_per_second", calibration}}}}},
          {"benchmarks", benchmarks}};
}

const CellComparison& cell(const Comparison& c, const std::string& name) {
  for (const CellComparison& x : c.cells) {
    if (x.name == name) return x;
  }
  throw std::runtime_error("no cell " + name);
}

TEST(MannWhitney, ExactTailsMatchScipy) {
  // scipy.stats.mannwhitneyu(higher, lower, alternative='greater', method='exact')
  EXPECT_DOUBLE_EQ(mann_whitney_p_lower(std::vector<double>{10, 11, 12}, std::vector<double>{1, 2, 3}), 0.05);
  EXPECT_NEAR(mann_whitney_p_lower(std::vector<double>{10, 11, 12, 13, 14}, std::vector<double>{1, 2, 3, 4, 5}),
              0.003968253968253968, 1e-15);
  EXPECT_DOUBLE_EQ(mann_whitney_p_lower(std::vector<double>{100, 140, 70}, std::vector<double>{85, 120, 60}), 0.35);
}

TEST(MannWhitney, WithTiesTheNormalApproximationMatchesScipy) {
  // method='asymptotic', use_continuity=True
  EXPECT_NEAR(mann_whitney_p_lower(std::vector<double>{5, 6, 7, 3, 9}, std::vector<double>{1, 2, 3, 4, 6}),
              0.046345858062223216, 1e-12);
}

TEST(Compare, IdenticalReportsPass) {
  const json r = report({{"a/read/procs:1", {100, 110, 90}}, {"b/read/procs:1", {5, 5, 5}}});
  const Comparison c = compare_reports(r, r, {});
  EXPECT_FALSE(c.regressed());
  for (const CellComparison& x : c.cells) EXPECT_EQ(x.verdict, Verdict::same) << x.name;
}

TEST(Compare, ACellAtHalfThroughputRegressesAndIsNamed) {
  const json base = report({{"a/read/procs:1", {100, 104, 98}}, {"b/read/procs:1", {50, 51, 49}}});
  const json slow = report({{"a/read/procs:1", {100, 103, 97}}, {"b/read/procs:1", {25, 26, 24}}});
  const Comparison c = compare_reports(base, slow, {});
  EXPECT_TRUE(c.regressed());
  EXPECT_EQ(cell(c, "b/read/procs:1").verdict, Verdict::regressed);
  EXPECT_NEAR(cell(c, "b/read/procs:1").change, -0.5, 1e-9);
  EXPECT_DOUBLE_EQ(*cell(c, "b/read/procs:1").p_value, 0.05);
  EXPECT_EQ(cell(c, "a/read/procs:1").verdict, Verdict::same);
  std::ostringstream table;
  print_comparison(table, c);
  EXPECT_NE(table.str().find("b/read/procs:1"), std::string::npos);
  EXPECT_NE(table.str().find("REGRESSED"), std::string::npos);
}

TEST(Compare, ADropWithinTheRepetitionsSpreadIsNoise) {
  const json base = report({{"a/read/procs:1", {100, 140, 70}}});
  const json noisy = report({{"a/read/procs:1", {85, 120, 60}}});  // median -15%, ranks interleaved
  const Comparison c = compare_reports(base, noisy, {});
  EXPECT_FALSE(c.regressed());
  EXPECT_EQ(cell(c, "a/read/procs:1").verdict, Verdict::noise);
  EXPECT_DOUBLE_EQ(*cell(c, "a/read/procs:1").p_value, 0.35);
}

TEST(Compare, WithFewerThanThreeRepetitionsTheThresholdAloneDecides) {
  const Comparison c =
      compare_reports(report({{"a/read/procs:1", {100}}}), report({{"a/read/procs:1", {85}}}), {});
  EXPECT_EQ(cell(c, "a/read/procs:1").verdict, Verdict::regressed);
  EXPECT_FALSE(cell(c, "a/read/procs:1").p_value.has_value());
  const Comparison ok = compare_reports(report({{"a/read/procs:1", {100}}}), report({{"a/read/procs:1", {95}}}), {});
  EXPECT_FALSE(ok.regressed());
}

TEST(Compare, NormalizeCancelsAUniformMachineSpeedChange) {
  const json base = report({{"a/read/procs:1", {100, 102, 98}}, {"b/read/procs:2", {10, 11, 9}}}, 1e7);
  // The same code on a machine half as fast: every rate and the calibration halve.
  const json slower_machine = report({{"a/read/procs:1", {50, 51, 49}}, {"b/read/procs:2", {5, 5.5, 4.5}}}, 5e6);
  EXPECT_TRUE(compare_reports(base, slower_machine, {}).regressed());
  CompareOptions normalize;
  normalize.normalize = true;
  const Comparison c = compare_reports(base, slower_machine, normalize);
  EXPECT_FALSE(c.regressed());
  EXPECT_NEAR(cell(c, "a/read/procs:1").change, 0, 1e-9);
}

TEST(Compare, NormalizeRefusesAReportWrittenWithoutCalibration) {
  json uncalibrated = report({{"a/read/procs:1", {100}}});
  uncalibrated["context"]["calibration"] = nullptr;  // what --no-calibration writes
  CompareOptions normalize;
  normalize.normalize = true;
  for (const auto& [base, candidate] : {std::pair{report({{"a/read/procs:1", {100}}}), uncalibrated},
                                        std::pair{uncalibrated, report({{"a/read/procs:1", {100}}})}}) {
    try {
      compare_reports(base, candidate, normalize);
      ADD_FAILURE() << "compared without a calibration figure";
    } catch (const Error& e) {
      EXPECT_STREQ(e.what(), "a report has no calibration figure (written with --no-calibration, or before it "
                             "existed); --normalize needs one in both");
    }
  }
  // Without --normalize the figure is not needed.
  EXPECT_FALSE(compare_reports(report({{"a/read/procs:1", {100}}}), uncalibrated, {}).regressed());
}

TEST(Compare, CellsOnOneSideOnlyAreListedNotErrors) {
  const Comparison c = compare_reports(report({{"a/read/procs:1", {1}}, {"gone/read/procs:1", {1}}}),
                                       report({{"a/read/procs:1", {1}}, {"new/read/procs:1", {1}}}), {});
  EXPECT_FALSE(c.regressed());
  EXPECT_EQ(c.only_in_base, std::vector<std::string>{"gone/read/procs:1"});
  EXPECT_EQ(c.only_in_new, std::vector<std::string>{"new/read/procs:1"});
}

TEST(Compare, ACellThatFailsInNewRegresses) {
  json broken = report({{"a/read/procs:1", {}}});
  broken["benchmarks"].push_back({{"name", "a/read/procs:1"}, {"run_type", "iteration"}, {"status", "failed"},
                                  {"reason", "worker 0 killed by signal 9 (SIGKILL)"}, {"items_per_second", 0},
                                  {"latency_ns", {{"p99", 0}}}});
  const Comparison c = compare_reports(report({{"a/read/procs:1", {100}}}), broken, {});
  EXPECT_TRUE(c.regressed());
  EXPECT_EQ(cell(c, "a/read/procs:1").verdict, Verdict::failed);
  EXPECT_NE(cell(c, "a/read/procs:1").note.find("SIGKILL"), std::string::npos);
}

TEST(Compare, ACellSkippedOnBothSidesPassesWithItsReason) {
  json skipped = report({});
  skipped["benchmarks"].push_back({{"name", "mmap-table/counter/procs:1"}, {"run_type", "iteration"},
                                   {"status", "skipped"}, {"reason", "strategy does not support add"},
                                   {"items_per_second", 0}, {"latency_ns", {{"p99", 0}}}});
  const Comparison c = compare_reports(skipped, skipped, {});
  EXPECT_FALSE(c.regressed());
  EXPECT_EQ(cell(c, "mmap-table/counter/procs:1").note, "skipped in BASE: strategy does not support add");
}

// A sweep's report: each cell at each value size and key count, named by the sizes that vary
// as sharebench names them, its entries carrying value_size and keys.
struct SweepCell {
  std::string name;  // strategy/workload/procs:N
  std::uint64_t value_size, keys;
  double rate;
};
json sweep_report(const std::vector<SweepCell>& cells, bool names_value, bool names_keys) {
  json r = report({});
  for (const SweepCell& c : cells) {
    std::string name = c.name;
    if (names_value) name += "/value:" + value_size_text(c.value_size);
    if (names_keys) name += "/keys:" + key_count_text(c.keys);
    for (int rep = 0; rep < 3; ++rep) {
      r["benchmarks"].push_back({{"name", name}, {"run_name", name}, {"run_type", "iteration"}, {"status", "ok"},
                                 {"value_size", c.value_size}, {"keys", c.keys}, {"items_per_second", c.rate},
                                 {"latency_ns", {{"p99", 1e9 / c.rate}}}});
    }
  }
  return r;
}

TEST(CompareSweeps, ASweepComparesCellByCellWithAnotherByAllItsDimensions) {
  const json base = sweep_report({{"a/read/procs:1", 32, 1000, 100}, {"a/read/procs:1", 65536, 1000, 50},
                                  {"a/read/procs:1", 32, 1'000'000, 80}, {"a/read/procs:1", 65536, 1'000'000, 40}},
                                 true, true);
  // At 64K and 1K keys half as fast; 1M keys at 64K not run; 1M values new.
  const json candidate = sweep_report({{"a/read/procs:1", 32, 1000, 100}, {"a/read/procs:1", 65536, 1000, 25},
                                       {"a/read/procs:1", 32, 1'000'000, 80}, {"a/read/procs:1", 1 << 20, 1000, 9}},
                                      true, true);
  const Comparison c = compare_reports(base, candidate, {});
  ASSERT_EQ(c.cells.size(), 3u);
  EXPECT_EQ(cell(c, "a/read/procs:1/value:32/keys:1K").verdict, Verdict::same);
  EXPECT_EQ(cell(c, "a/read/procs:1/value:64K/keys:1K").verdict, Verdict::regressed);
  EXPECT_NEAR(cell(c, "a/read/procs:1/value:64K/keys:1K").change, -0.5, 1e-9);
  EXPECT_EQ(cell(c, "a/read/procs:1/value:32/keys:1M").verdict, Verdict::same);
  EXPECT_EQ(c.only_in_base, std::vector<std::string>{"a/read/procs:1/value:64K/keys:1M"});
  EXPECT_EQ(c.only_in_new, std::vector<std::string>{"a/read/procs:1/value:1M/keys:1K"});
  EXPECT_TRUE(c.regressed());
}

TEST(CompareSweeps, ASingleSizeMatchesTheSweepsCellOfThatSize) {
  // BASE ran one value size (its names carry none), NEW swept two at the same key count.
  const json single = sweep_report({{"a/read/procs:1", 1024, 1000, 100}}, false, false);
  const json sweep = sweep_report({{"a/read/procs:1", 32, 1000, 300}, {"a/read/procs:1", 1024, 1000, 60}}, true, false);
  const Comparison c = compare_reports(single, sweep, {});
  ASSERT_EQ(c.cells.size(), 1u);
  EXPECT_EQ(c.cells[0].name, "a/read/procs:1/value:1K");
  EXPECT_EQ(c.cells[0].verdict, Verdict::regressed);
  EXPECT_EQ(c.only_in_new, std::vector<std::string>{"a/read/procs:1/value:32"});
  // A report written before entries carried their sizes: its settings' workload says them.
  json old = report({{"a/read/procs:1", {100, 100, 100}}});
  old["context"]["settings"] = {{"workloads", {{{"name", "read"}, {"keys", 1000}, {"value_size", 1024}}}}};
  const Comparison from_old = compare_reports(old, sweep, {});
  ASSERT_EQ(from_old.cells.size(), 1u);
  EXPECT_EQ(from_old.cells[0].name, "a/read/procs:1/value:1K");
  EXPECT_TRUE(from_old.cells[0].settings_differ.empty());
}

// A report as sharebench writes it, as far as compare reads it: the context's settings and
// machine facts, and cells that say their strategy, workload and batch.
json full_report(double rate) {
  json r = report({{"mmap-table/read/procs:1", {rate, rate, rate}}, {"socket-manager/read/procs:1", {rate, rate, rate}}});
  json& c = r["context"];
  c["host_name"] = "vm";
  c["cpu_model"] = "Intel(R) Xeon(R) Processor";
  c["num_cpus"] = 2;
  c["build_type"] = "Release";
  c["compile_flags"] = "-O3 -DNDEBUG";
  c["sanitizers"] = "";
  c["pinning"] = {{"mode", "none"}, {"cpus", {0, 1}}};
  c["load"] = {{"mode", "closed"}, {"target_ops_per_second", 0}};
  c["settings"] = {{"duration_s", 2.0}, {"warmup_s", 0.5}, {"repetitions", 3}, {"procs", {1}}, {"seed", 1},
                   {"batch", "auto"}, {"latency_sample", "auto"}, {"pin", "none"}, {"target_ops_per_second", 0},
                   {"op_timeout_s", 2.0}, {"table_file", ""}, {"pipeline", 1},
                   {"workloads", {{{"name", "read"}, {"keys", 100000}, {"value_size", 32},
                                   {"distribution", "uniform"}, {"hit_ratio", 0.5}}}}};
  for (json& b : r["benchmarks"]) {
    const bool mmap = b["name"].get<std::string>().rfind("mmap-table", 0) == 0;
    b["strategy"] = mmap ? "mmap-table" : "socket-manager";
    b["workload"] = "read";
    b["batch"] = mmap ? 16 : 1;
  }
  return r;
}

struct SettingCase {
  std::string setting;  // what the line names
  std::function<void(json&)> change;  // applied to NEW
};

// One row per setting that changes what a cell measures: NEW at half BASE's throughput is
// `not comparable`, not REGRESSED, the line above the table names the setting, and
// --ignore-settings judges it (REGRESSED) again.
TEST(CompareSettings, ACellWhoseSettingsDifferIsNotComparable) {
  const std::vector<SettingCase> cases = {
      {"keys 100000 vs 1000000", [](json& r) { r["context"]["settings"]["workloads"][0]["keys"] = 1000000; }},
      {"value_size 32 vs 64", [](json& r) { r["context"]["settings"]["workloads"][0]["value_size"] = 64; }},
      {"distribution uniform vs zipfian",
       [](json& r) { r["context"]["settings"]["workloads"][0]["distribution"] = "zipfian"; }},
      {"hit_ratio 0.5 vs 1", [](json& r) { r["context"]["settings"]["workloads"][0]["hit_ratio"] = 1.0; }},
      {"load closed vs open at 5000 ops/s",
       [](json& r) { r["context"]["load"] = {{"mode", "open"}, {"target_ops_per_second", 5000}}; }},
      {"duration_s 2 vs 0.3", [](json& r) { r["context"]["settings"]["duration_s"] = 0.3; }},
      {"warmup_s 0.5 vs 0", [](json& r) { r["context"]["settings"]["warmup_s"] = 0; }},
      {"latency_sample auto vs 1", [](json& r) { r["context"]["settings"]["latency_sample"] = "1"; }},
      {"pin none vs spread", [](json& r) { r["context"]["settings"]["pin"] = "spread"; }},
      {"cpus 0,1 vs 0", [](json& r) { r["context"]["pinning"]["cpus"] = {0}; }},
      {"build_type Release vs Debug", [](json& r) { r["context"]["build_type"] = "Debug"; }},
      {"sanitizers none vs address", [](json& r) { r["context"]["sanitizers"] = "address"; }},
      {"batch 16 vs 1",
       [](json& r) {
         r["context"]["settings"]["batch"] = "1";  // socket-manager's cells ran with 1 already: say 4
         for (json& b : r["benchmarks"]) b["batch"] = b["strategy"] == "mmap-table" ? 1 : 4;
       }},
  };
  const json base = full_report(100);
  for (const SettingCase& row : cases) {
    SCOPED_TRACE(row.setting);
    json slower = full_report(50);
    row.change(slower);
    const Comparison c = compare_reports(base, slower, {});
    EXPECT_FALSE(c.regressed());
    const CellComparison& mmap = cell(c, "mmap-table/read/procs:1");
    EXPECT_EQ(mmap.verdict, Verdict::not_comparable);
    EXPECT_EQ(mmap.settings_differ, std::vector<std::string>{row.setting});
    std::ostringstream table;
    print_comparison(table, c);
    EXPECT_NE(table.str().find("settings differ: "), std::string::npos) << table.str();
    EXPECT_NE(table.str().find(row.setting), std::string::npos) << table.str();
    EXPECT_NE(table.str().find("not comparable: " + row.setting), std::string::npos) << table.str();
    EXPECT_EQ(comparison_json(c)["cells"][0]["verdict"], "not comparable");

    CompareOptions anyway;
    anyway.ignore_settings = true;
    const Comparison judged = compare_reports(base, slower, anyway);
    EXPECT_TRUE(judged.regressed());
    EXPECT_EQ(cell(judged, "mmap-table/read/procs:1").verdict, Verdict::regressed);
    EXPECT_NE(cell(judged, "mmap-table/read/procs:1").note.find("compared anyway: " + row.setting), std::string::npos);
  }
}

TEST(CompareSettings, AStrategyOptionMattersOnlyToItsStrategysCells) {
  json other = full_report(100);
  other["context"]["settings"]["pipeline"] = 16;  // socket-manager's and redis's --pipeline
  const Comparison c = compare_reports(full_report(100), other, {});
  EXPECT_EQ(c.settings_differ, std::vector<std::string>{"pipeline (socket-manager, redis) 1 vs 16"});
  EXPECT_EQ(cell(c, "socket-manager/read/procs:1").verdict, Verdict::not_comparable);
  EXPECT_EQ(cell(c, "mmap-table/read/procs:1").verdict, Verdict::same);
  EXPECT_TRUE(cell(c, "mmap-table/read/procs:1").settings_differ.empty());
}

TEST(CompareSettings, BatchIsJudgedByWhatEachCellRanWith) {
  json forced = full_report(100);
  forced["context"]["settings"]["batch"] = "16";  // mmap-table's own batch under auto
  const Comparison c = compare_reports(full_report(100), forced, {});
  EXPECT_EQ(c.settings_differ, std::vector<std::string>{"batch auto vs 16"});
  EXPECT_EQ(cell(c, "mmap-table/read/procs:1").verdict, Verdict::same);
}

TEST(CompareSettings, WhatDoesNotChangeTheMeasurementIsNotJudged) {
  json other = full_report(100);
  json& c = other["context"];
  c["settings"]["seed"] = 7;
  c["settings"]["repetitions"] = 5;
  c["settings"]["procs"] = {1, 2};
  c["settings"]["op_timeout_s"] = 30.0;
  c["date"] = "2030-01-01T00:00:00+00:00";
  c["settings"].erase("table_file");  // a setting an older build did not record
  const Comparison same = compare_reports(full_report(100), other, {});
  EXPECT_TRUE(same.settings_differ.empty());
  EXPECT_TRUE(same.environment_differ.empty());
  for (const CellComparison& x : same.cells) EXPECT_EQ(x.verdict, Verdict::same) << x.name;
}

// counter only adds to its counters: the keys and value size of data it never touches are
// not what its cells measure (an older build preloaded --keys there too).
TEST(CompareSettings, KeysOfAWorkloadThatNeverReadsThemAreNotJudged) {
  auto counter_report = [](std::uint64_t keys) {
    json r = full_report(100);
    r["context"]["settings"]["workloads"] = {{{"name", "counter"}, {"keys", keys}, {"value_size", 32},
                                              {"get_ratio", 0.0}, {"put_ratio", 0.0}, {"add_ratio", 1.0},
                                              {"counter_keys", 16}}};
    for (json& b : r["benchmarks"]) {
      b["workload"] = "counter";
      b["name"] = b["strategy"].get<std::string>() + "/counter/procs:1";
    }
    return r;
  };
  const Comparison c = compare_reports(counter_report(100000), counter_report(0), {});
  EXPECT_TRUE(c.settings_differ.empty());
  for (const CellComparison& x : c.cells) EXPECT_EQ(x.verdict, Verdict::same) << x.name;
  json more_counters = counter_report(0);
  more_counters["context"]["settings"]["workloads"][0]["counter_keys"] = 4;
  EXPECT_EQ(compare_reports(counter_report(0), more_counters, {}).settings_differ,
            std::vector<std::string>{"counter_keys 16 vs 4"});
}

TEST(CompareSettings, AnotherMachineOrToolchainIsNamedNotJudged) {
  json elsewhere = full_report(50);
  elsewhere["context"]["host_name"] = "ci-7";
  elsewhere["context"]["num_cpus"] = 4;
  elsewhere["context"]["compile_flags"] = "-O2";  // a revision's own flags: part of what an A/B measures
  const Comparison c = compare_reports(full_report(100), elsewhere, {});
  EXPECT_EQ(c.environment_differ,
            (std::vector<std::string>{"host_name vm vs ci-7", "num_cpus 2 vs 4", "compile_flags -O3 -DNDEBUG vs -O2"}));
  EXPECT_TRUE(c.settings_differ.empty());
  EXPECT_TRUE(c.regressed());
  std::ostringstream table;
  print_comparison(table, c);
  EXPECT_NE(table.str().find("environment differs: host_name vm vs ci-7; num_cpus 2 vs 4; compile_flags -O3 -DNDEBUG vs -O2\n"),
            std::string::npos) << table.str();
}

TEST(CompareNormalize, OnOneMachineItWarnsThatItOnlyAddsNoise) {
  json base = full_report(100), candidate = full_report(100);
  base["context"]["calibration"] = {{"lookups_per_second", 5.5e6}, {"cv", 0.02}};
  candidate["context"]["calibration"] = {{"lookups_per_second", 6.6e6}, {"cv", 0.01}};
  CompareOptions normalize;
  normalize.normalize = true;
  const Comparison c = compare_reports(base, candidate, normalize);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0],
            "--normalize on two reports from one machine (vm, Intel(R) Xeon(R) Processor) only adds the "
            "calibration's noise: BASE 5.50 M, NEW 6.60 M lookups/s (+20.0%); cv of each run's calibration rounds "
            "2.0% and 1.0%; compare without --normalize");
  std::ostringstream table;
  print_comparison(table, c);
  EXPECT_EQ(table.str().rfind("warning: --normalize on two reports from one machine", 0), 0u) << table.str();
  EXPECT_EQ(comparison_json(c)["warnings"].size(), 1u);
  EXPECT_TRUE(compare_reports(base, candidate, {}).warnings.empty());
  candidate["context"]["host_name"] = "ci-7";
  EXPECT_TRUE(compare_reports(base, candidate, normalize).warnings.empty());
}

TEST(CompareNormalize, TheTableSaysWhatTheNormalizedFiguresAre) {
  CompareOptions normalize;
  normalize.normalize = true;
  const json r = report({{"a/read/procs:1", {2e6}}}, 1e7);  // 0.2 ops per lookup; p99 500 ns = 5 lookups
  const Comparison c = compare_reports(r, r, normalize);
  std::ostringstream table;
  print_comparison(table, c);
  EXPECT_NE(table.str().find("base ops/cal  new ops/cal"), std::string::npos) << table.str();
  EXPECT_EQ(table.str().find("x cal"), std::string::npos);
  EXPECT_NE(table.str().find("5.0 lookups"), std::string::npos) << table.str();
  EXPECT_NE(table.str().find("ops/cal is ops per calibration lookup, p99 in calibration lookups"), std::string::npos);
  const json j = comparison_json(c);
  EXPECT_EQ(j["units"]["rate"], "ops per calibration lookup");
  EXPECT_EQ(j["units"]["p99"], "calibration lookups");
}

TEST(Compare, CommandLineExitCodesAndOutputs) {
  testing::ScratchDir dir;
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = dir.file(name);
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(text.c_str(), f);
    std::fclose(f);
    return path;
  };
  const std::string base = write("base.json", report({{"a/read/procs:1", {100, 101, 99}}}).dump());
  const std::string same = write("same.json", report({{"a/read/procs:1", {100, 101, 99}}}).dump());
  const std::string half = write("half.json", report({{"a/read/procs:1", {50, 51, 49}}}).dump());
  const std::string corrupt = write("corrupt.json", "{\"context\": ");
  const std::string foreign = write("foreign.json", R"({"benchmarks": []})");

  EXPECT_EQ(testing::run_sharebench({"compare", base, same}).exit_code, 0);
  const auto regressed = testing::run_sharebench({"compare", base, half, "--github-benchmark", dir.file("gh.json")});
  EXPECT_EQ(regressed.exit_code, 1);
  EXPECT_NE(regressed.out.find("a/read/procs:1"), std::string::npos);
  EXPECT_NE(regressed.out.find("REGRESSED"), std::string::npos);
  const json gh = json::parse(testing::read_file(dir.file("gh.json")));
  ASSERT_EQ(gh.size(), 1u);
  EXPECT_EQ(gh[0]["name"], "a/read/procs:1");
  EXPECT_EQ(gh[0]["unit"], "ops/s");
  EXPECT_EQ(gh[0]["value"], 50);

  const auto as_json = testing::run_sharebench({"compare", base, half, "--format", "json"});
  EXPECT_EQ(as_json.exit_code, 1);
  EXPECT_EQ(json::parse(as_json.out)["cells"][0]["verdict"], "REGRESSED");

  const auto bad = testing::run_sharebench({"compare", base, corrupt});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "sharebench: compare: " + corrupt + ": not JSON\n");
  const auto other = testing::run_sharebench({"compare", foreign, base});
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_EQ(other.err, "sharebench: compare: " + foreign +
                           ": not a sharebench report (no context.sharebench_schema_version or benchmarks)\n");
  // Other settings: not comparable, exit 0, unless --ignore-settings.
  json more_keys = report({{"a/read/procs:1", {50, 51, 49}}});
  more_keys["context"]["settings"] = {{"workloads", {{{"name", "read"}, {"keys", 1000000}}}}};
  json fewer_keys = report({{"a/read/procs:1", {100, 101, 99}}});
  fewer_keys["context"]["settings"] = {{"workloads", {{{"name", "read"}, {"keys", 100000}}}}};
  const std::string big = write("big.json", more_keys.dump()), small = write("small.json", fewer_keys.dump());
  const auto unlike = testing::run_sharebench({"compare", small, big});
  EXPECT_EQ(unlike.exit_code, 0);
  EXPECT_EQ(unlike.out.rfind("settings differ: keys 100000 vs 1000000 (", 0), 0u) << unlike.out;
  EXPECT_NE(unlike.out.find("not comparable: keys 100000 vs 1000000\n"), std::string::npos) << unlike.out;
  const auto unlike_json = testing::run_sharebench({"compare", small, big, "--format", "json"});
  EXPECT_EQ(unlike_json.exit_code, 0);
  EXPECT_EQ(json::parse(unlike_json.out)["cells"][0]["verdict"], "not comparable");
  EXPECT_EQ(json::parse(unlike_json.out)["settings_differ"][0], "keys 100000 vs 1000000");
  const auto anyway = testing::run_sharebench({"compare", small, big, "--ignore-settings"});
  EXPECT_EQ(anyway.exit_code, 1);
  EXPECT_NE(anyway.out.find("REGRESSED: settings differ, compared anyway: keys 100000 vs 1000000"), std::string::npos)
      << anyway.out;

  EXPECT_EQ(testing::run_sharebench({"compare", base}).exit_code, 2);
  EXPECT_EQ(testing::run_sharebench({"compare", base, same, "--threshold", "-5"}).exit_code, 2);
}

}  // namespace
}  // namespace sharebench
