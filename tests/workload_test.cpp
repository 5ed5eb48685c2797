// Workloads: keys, self-checking values, and the operation schedule.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "harness/workload.hpp"

namespace sharebench {
namespace {

std::string key_text(std::uint64_t index, bool miss) {
  char buffer[kMaxKeySize];
  return std::string(buffer, format_data_key(index, miss, buffer));
}

TEST(Keys, DecimalTextOfTwiceTheIndexPlusMiss) {
  EXPECT_EQ(key_text(0, false), "0");
  EXPECT_EQ(key_text(0, true), "1");
  EXPECT_EQ(key_text(5, false), "10");
  EXPECT_EQ(key_text(49'999'999, true), "99999999");
  EXPECT_EQ(key_text(50'000'000, false), "100000000");
  EXPECT_EQ(key_text(999'999'999, true), "1999999999");
}

TEST(Values, AFilledValueIsValidForItsKeyAndVersionOnly) {
  for (std::size_t size : {16u, 17u, 23u, 32u, 1000u}) {
    std::string value(size, '\0');
    const std::uint64_t h = value_key_hash("42");
    fill_value(value.data(), size, h, put_version(3, 77));
    std::uint64_t version = 0;
    ASSERT_TRUE(value_is_valid(value, size, h, &version)) << size;
    EXPECT_EQ(version, put_version(3, 77));
    EXPECT_EQ(version_writer(version), 3);
    EXPECT_FALSE(value_is_valid(value, size, value_key_hash("44"), &version)) << "another key's value";
    EXPECT_FALSE(value_is_valid(value, size + 1, h, &version)) << "wrong size";
    for (std::size_t i = 0; i < size; ++i) {  // any single corrupted byte is caught
      std::string torn = value;
      torn[i] ^= 1;
      ASSERT_FALSE(value_is_valid(torn, size, h, &version)) << "byte " << i << " of " << size;
    }
  }
}

TEST(Values, HalfOfOneVersionAndHalfOfAnotherIsCaught) {
  const std::uint64_t h = value_key_hash("8");
  std::string a(64, '\0'), b(64, '\0');
  fill_value(a.data(), 64, h, put_version(0, 1));
  fill_value(b.data(), 64, h, put_version(1, 1));
  const std::string torn = a.substr(0, 32) + b.substr(32);
  std::uint64_t version = 0;
  EXPECT_FALSE(value_is_valid(torn, 64, h, &version));
}

TEST(Dataset, ReadPresetPreloadsEvenKeysAtVersionZero) {
  WorkloadSpec spec = *find_workload("read");
  spec.keys = 1000;
  const Dataset d = build_dataset(spec);
  ASSERT_EQ(d.size(), 1000u);
  EXPECT_EQ(d.key(0), "0");
  EXPECT_EQ(d.key(999), "1998");
  std::uint64_t version = 1;
  EXPECT_TRUE(value_is_valid(d.value(7), spec.value_size, value_key_hash(d.key(7)), &version));
  EXPECT_EQ(version, 0u);
}

TEST(Schedule, IsDeterministicFromTheSeedAndHonoursTheHitRatio) {
  WorkloadSpec spec = *find_workload("read");
  spec.keys = 100'000;
  const OpSchedule a(spec, 9), b(spec, 9), c(spec, 10);
  ASSERT_EQ(a.ops().size(), 200'000u);
  std::size_t misses = 0, same_as_c = 0;
  std::set<std::uint32_t> distinct;
  for (std::size_t i = 0; i < a.ops().size(); ++i) {
    const PlannedOp& op = a.ops()[i];
    ASSERT_EQ(op.key(), b.ops()[i].key());
    same_as_c += op.key() == c.ops()[i].key();
    ASSERT_EQ(op.kind, OpKind::get);
    ASSERT_EQ(op.key(), key_text(op.key_index, op.miss));
    ASSERT_EQ(op.key_hash, value_key_hash(op.key()));
    misses += op.miss;
    distinct.insert(op.key_index);
  }
  EXPECT_LT(same_as_c, 1000u) << "another seed gives another sequence";
  // Binomial(200000, 0.5): 5 standard deviations are about 1118.
  EXPECT_NEAR(static_cast<double>(misses), 100'000.0, 1'200.0);
  // 200000 uniform draws over 100000 keys touch about 1 - e^-2 = 86.5% of them.
  EXPECT_GT(distinct.size(), 85'000u);
}

TEST(Schedule, WorkersStartAtDifferentOffsets) {
  WorkloadSpec spec = *find_workload("read");
  spec.keys = 1000;
  const OpSchedule s(spec, 1);
  EXPECT_EQ(s.start_of(0, 4), 0u);
  EXPECT_EQ(s.start_of(1, 4), s.ops().size() / 4);
  EXPECT_EQ(s.start_of(3, 4), 3 * (s.ops().size() / 4));
}

}  // namespace
}  // namespace sharebench
