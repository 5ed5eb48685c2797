// The context block must be collected on any machine: where sysfs has no cache or cpufreq
// directory (a VM), what it lacks is empty, never a failure and never a guess.
#include "harness/context.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/test_support.hpp"

namespace sharebench {
namespace {

namespace fs = std::filesystem;

char* argv0[] = {const_cast<char*>("sharebench"), const_cast<char*>("--procs"), const_cast<char*>("2")};

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text << '\n';
}

TEST(Context, AnEmptySysfsLeavesCachesToGlibcAndTheGovernorEmpty) {
  testing::ScratchDir empty;
  const RunContext c = collect_context(3, argv0, empty.path());
  EXPECT_EQ(c.command_line, "sharebench --procs 2");
  EXPECT_GT(c.num_cpus, 0);
  EXPECT_EQ(c.scaling_governor, "");
  // Whatever glibc reports, and only that: sizes it knows, no sharing it cannot know.
  const long l1d = ::sysconf(_SC_LEVEL1_DCACHE_SIZE);
  bool saw_l1d = false;
  for (const CacheInfo& cache : c.caches) {
    EXPECT_GT(cache.size, 0) << cache.type << " L" << cache.level;
    EXPECT_EQ(cache.num_sharing, 0) << "sysconf cannot tell which CPUs share a cache";
    if (cache.level == 1 && cache.type == "Data") {
      saw_l1d = true;
      EXPECT_EQ(cache.size, l1d);
    }
  }
  EXPECT_EQ(saw_l1d, l1d > 0);
}

TEST(Context, CachesAndGovernorAreReadFromSysfsWhereItHasThem) {
  testing::ScratchDir root;
  const fs::path cpu0 = fs::path(root.path()) / "devices/system/cpu/cpu0";
  write_file(cpu0 / "cache/index0/type", "Data");
  write_file(cpu0 / "cache/index0/level", "1");
  write_file(cpu0 / "cache/index0/size", "48K");
  write_file(cpu0 / "cache/index0/shared_cpu_list", "0");
  write_file(cpu0 / "cache/index1/type", "Unified");
  write_file(cpu0 / "cache/index1/level", "3");
  write_file(cpu0 / "cache/index1/size", "32M");
  write_file(cpu0 / "cache/index1/shared_cpu_list", "0-3,8,10-11");
  write_file(cpu0 / "cpufreq/scaling_governor", "performance");
  const RunContext c = collect_context(1, argv0, root.path());
  ASSERT_EQ(c.caches.size(), 2u);
  EXPECT_EQ(c.caches[0].type, "Data");
  EXPECT_EQ(c.caches[0].level, 1);
  EXPECT_EQ(c.caches[0].size, 48 * 1024);
  EXPECT_EQ(c.caches[0].num_sharing, 1);
  EXPECT_EQ(c.caches[1].type, "Unified");
  EXPECT_EQ(c.caches[1].level, 3);
  EXPECT_EQ(c.caches[1].size, 32 * 1024 * 1024);
  EXPECT_EQ(c.caches[1].num_sharing, 7);
  EXPECT_EQ(c.scaling_governor, "performance");
}

}  // namespace
}  // namespace sharebench
