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

std::set<std::string> documented_fields() {
  const std::string schema = testing::read_file(std::string(SHAREBENCH_SOURCE_DIR) + "/results/SCHEMA.md");
  std::set<std::string> fields;
  const std::regex row(R"(^\| `([^`]+)`)", std::regex::multiline);
  for (auto it = std::sregex_iterator(schema.begin(), schema.end(), row); it != std::sregex_iterator(); ++it) {
    fields.insert((*it)[1]);
  }
  return fields;
}

TEST(Schema, AReportHasEveryDocumentedFieldAndNoOther) {
  testing::ScratchDir dir;
  const std::string out = dir.file("report.json");
  // Covers ok, skipped (mmap-table cannot put) and aggregate entries, and a final-state check.
  const auto r = testing::run_sharebench({"--strategy", "null,mmap-table,shm-map", "--workload", "update",
                                          "--keys", "2000", "--repetitions", "2", "--duration", "0.1",
                                          "--warmup", "0", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> present;
  collect(json::parse(testing::read_file(out)), "", present);
  const std::set<std::string> documented = documented_fields();
  ASSERT_GT(documented.size(), 100u);
  for (const std::string& field : present) {
    EXPECT_EQ(documented.count(field), 1u) << "undocumented field in the report: " << field;
  }
  for (const std::string& field : documented) {
    // A documented container (`context.caches`) is present if any field below it is.
    const bool found = std::any_of(present.begin(), present.end(), [&](const std::string& p) {
      return p == field || p.rfind(field + ".", 0) == 0 || p.rfind(field + "[]", 0) == 0;
    });
    EXPECT_TRUE(found) << "documented field missing from the report: " << field;
  }
}

}  // namespace
}  // namespace sharebench
