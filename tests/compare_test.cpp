// The regression gate: which changes fail it and which do not.
#include <gtest/gtest.h>

#include <sstream>

#include <vector>

#include "common/error.hpp"
#include "harness/compare.hpp"
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
  EXPECT_EQ(testing::run_sharebench({"compare", base}).exit_code, 2);
  EXPECT_EQ(testing::run_sharebench({"compare", base, same, "--threshold", "-5"}).exit_code, 2);
}

}  // namespace
}  // namespace sharebench
