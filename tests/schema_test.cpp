// results/SCHEMA.md is the contract of the report: a real report has every field it
// documents and none it does not.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <regex>
#include <set>

#include "tests/test_support.hpp"

namespace sharebench {
namespace {

using nlohmann::json;

// Objects whose keys are data, not schema: documented as a whole.
const std::set<std::string> kMaps = {"benchmarks[].strategy_figures"};

// Every leaf path of `value`: objects add ".key", arrays of objects add "[]"; an array of
// scalars, an empty array and a map are leaves.
void collect(const json& value, const std::string& path, std::set<std::string>& out) {
  if (kMaps.count(path) != 0) {
    out.insert(path);
  } else if (value.is_object()) {
    for (const auto& [key, item] : value.items()) collect(item, path.empty() ? key : path + "." + key, out);
  } else if (value.is_array() && !value.empty() && value.front().is_object()) {
    for (const json& item : value) collect(item, path + "[]", out);
  } else {
    out.insert(path);
  }
}

struct Documented {
  std::set<std::string> fields;
  // Rows marked "where the machine exposes it": a machine that hides them (a VM without
  // sysfs cache directories) writes a report without them.
  std::set<std::string> machine_dependent;
  // Rows marked "open loop only": in the entries of a run with --target, in no other.
  std::set<std::string> open_loop_only;
};

Documented documented_fields() {
  const std::string schema = testing::read_file(std::string(SHAREBENCH_SOURCE_DIR) + "/results/SCHEMA.md");
  Documented d;
  const std::regex row(R"(^\| `([^`]+)`([^\n]*))", std::regex::multiline);
  for (auto it = std::sregex_iterator(schema.begin(), schema.end(), row); it != std::sregex_iterator(); ++it) {
    d.fields.insert((*it)[1]);
    if ((*it)[2].str().find("*where the machine exposes it*") != std::string::npos) {
      d.machine_dependent.insert((*it)[1]);
    }
    if ((*it)[2].str().find("*open loop only*") != std::string::npos) d.open_loop_only.insert((*it)[1]);
  }
  return d;
}

TEST(Schema, AReportHasEveryDocumentedFieldAndNoOther) {
  testing::ScratchDir dir;
  const std::string out = dir.file("report.json");
  // Covers ok, skipped (mmap-table cannot put) and aggregate entries, a final-state check, and
  // a measured floor (read).
  const auto r = testing::run_sharebench({"--strategy", "null,mmap-table,shm-map", "--workload", "update,read",
                                          "--keys", "2000", "--repetitions", "2", "--duration", "0.1",
                                          "--warmup", "0", "--out", out},
                                         testing::Calibrate::yes);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> present;
  collect(json::parse(testing::read_file(out)), "", present);
  const Documented documented = documented_fields();
  ASSERT_GT(documented.fields.size(), 100u);
  // Only the cache rows may be absent, never a field every machine has.
  EXPECT_EQ(documented.machine_dependent,
            (std::set<std::string>{"context.caches", "context.caches[].type", "context.caches[].level",
                                   "context.caches[].size", "context.caches[].num_sharing"}));
  for (const std::string& field : present) {
    EXPECT_EQ(documented.fields.count(field), 1u) << "undocumented field in the report: " << field;
  }
  for (const std::string& field : documented.fields) {
    if (documented.machine_dependent.count(field) != 0) continue;
    if (documented.open_loop_only.count(field) != 0) {
      EXPECT_EQ(present.count(field), 0u) << "open-loop field in a closed-loop report: " << field;
      continue;
    }
    // A documented container (`context.caches`) is present if any field below it is.
    const bool found = std::any_of(present.begin(), present.end(), [&](const std::string& p) {
      return p == field || p.rfind(field + ".", 0) == 0 || p.rfind(field + "[]", 0) == 0;
    });
    EXPECT_TRUE(found) << "documented field missing from the report: " << field;
  }
}

// Also a report written with --no-calibration (run_sharebench's default): its null start-of-run
// figures are documented fields.
TEST(Schema, AnOpenLoopReportHasTheOpenLoopFields) {
  testing::ScratchDir dir;
  const std::string out = dir.file("report.json");
  const auto r = testing::run_sharebench({"--strategy", "null", "--target", "1000", "--keys", "1000", "--duration",
                                          "0.05", "--warmup", "0", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> present;
  collect(json::parse(testing::read_file(out)), "", present);
  const Documented documented = documented_fields();
  EXPECT_EQ(documented.open_loop_only,
            (std::set<std::string>{"benchmarks[].target_ops_per_second", "benchmarks[].target_met"}));
  for (const std::string& field : documented.open_loop_only) {
    EXPECT_EQ(present.count(field), 1u) << "documented open-loop field missing from the report: " << field;
  }
  for (const std::string& field : present) {
    EXPECT_EQ(documented.fields.count(field), 1u) << "undocumented field in the report: " << field;
  }
}

}  // namespace
}  // namespace sharebench
