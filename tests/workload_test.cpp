// Workloads: keys, self-checking values, and the operation schedule.
#include <gtest/gtest.h>

#include <cmath>
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

TEST(Dataset, ShapeMatchesTheBuiltDataset) {
  for (const char* name : {"read", "mixed", "counter"}) {
    for (std::uint64_t keys : {1u, 5u, 6u, 50u, 51u, 12345u}) {
      WorkloadSpec spec = *find_workload(name);
      if (spec.keys > 0) spec.keys = keys;
      const Dataset d = build_dataset(spec);
      const DatasetShape shape = shape_of(spec);
      EXPECT_EQ(shape.keys, d.size()) << name << " " << keys;
      EXPECT_EQ(shape.payload_bytes, d.payload_bytes()) << name << " " << keys;
      EXPECT_EQ(shape.max_key_size, d.max_key_size()) << name << " " << keys;
      EXPECT_EQ(shape.counters, d.counters().size());
    }
  }
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

namespace sharebench {
namespace {

// Tolerance: 1,000,000 draws; each of the top 10 ranks has p >= 0.013, so one standard
// deviation of its frequency is at most sqrt(p/N) <= 0.00036, under 3% of p. 5% is more
// than four standard deviations for every rank checked.
TEST(Zipfian, TopRanksFollowZipfsLawWithin5Percent) {
  constexpr std::uint64_t kItems = 1000;
  constexpr int kDraws = 1'000'000;
  const ZipfianGenerator zipf(kItems, 0.99);
  SplitMix64 rng(42);
  std::vector<double> counts(kItems);
  for (int i = 0; i < kDraws; ++i) {
    const std::uint64_t r = zipf.next(rng);
    ASSERT_LT(r, kItems);
    ++counts[r];
  }
  double zeta = 0;
  for (std::uint64_t i = 1; i <= kItems; ++i) zeta += 1 / std::pow(static_cast<double>(i), 0.99);
  for (std::uint64_t r = 0; r < 10; ++r) {
    const double expected = 1 / std::pow(static_cast<double>(r + 1), 0.99) / zeta;
    EXPECT_NEAR(counts[r] / kDraws, expected, 0.05 * expected) << "rank " << r;
  }
  EXPECT_GT(counts[kItems - 1], 0) << "the tail is reachable";
}

TEST(Zipfian, ScramblingSpreadsTheHotKeys) {
  // The ten hottest ranks must not land next to each other in key space.
  std::set<std::uint64_t> keys;
  for (std::uint64_t r = 0; r < 10; ++r) keys.insert(scramble(r, 100'000));
  EXPECT_EQ(keys.size(), 10u);
  EXPECT_GT(*keys.rbegin() - *keys.begin(), 10'000u);
}

TEST(Schedule, MixedPresetHasItsRatiosAndOnlyPresentKeys) {
  const WorkloadSpec spec = *find_workload("mixed");
  const OpSchedule s(spec, 3);
  std::map<OpKind, std::size_t> kinds;
  for (const PlannedOp& op : s.ops()) {
    ++kinds[op.kind];
    ASSERT_FALSE(op.miss);
    ASSERT_LT(op.key_index, spec.keys);
  }
  const double n = static_cast<double>(s.ops().size());
  EXPECT_NEAR(static_cast<double>(kinds[OpKind::put]) / n, 0.05, 0.005);
  EXPECT_EQ(kinds[OpKind::add], 0u);
}

TEST(Schedule, CounterPresetOnlyAddsToItsSixteenCounters) {
  const WorkloadSpec spec = *find_workload("counter");
  const OpSchedule s(spec, 3);
  std::set<std::string> keys;
  for (const PlannedOp& op : s.ops()) {
    ASSERT_EQ(op.kind, OpKind::add);
    keys.insert(std::string(op.key()));
  }
  EXPECT_EQ(keys.size(), 16u);
  EXPECT_EQ(keys.count("counter:15"), 1u);
  const Dataset d = build_dataset(spec);
  EXPECT_EQ(d.size(), 0u);
  EXPECT_EQ(d.counters().size(), 16u);
}

// Workers count no kinds (nor, checking reads, the gets that found a value) per op; they ask
// the plan for those of the ops they ran, so the plan must count any stretch exactly: inside
// a block, across blocks, wrapping, and lap after lap.
TEST(Schedule, CountsTheKindsOfAnyStretchOfOpsWrappingAsAWorkerDoes) {
  WorkloadSpec spec;
  spec.keys = 40'000;  // a plan of 80 000 ops: 19 blocks and a part
  spec.get_ratio = 0.6;
  spec.put_ratio = 0.3;
  spec.add_ratio = 0.1;
  spec.counter_keys = 4;
  const OpSchedule s(spec, 5);
  const std::span<const PlannedOp> ops = s.ops();
  ASSERT_EQ(ops.size(), 80'000u);
  auto by_hand = [&](std::size_t first, std::uint64_t n) {
    OpSchedule::KindCounts c;
    for (std::uint64_t k = 0; k < n; ++k) {
      const PlannedOp& op = ops[(first + k) % ops.size()];
      ++(op.kind == OpKind::get ? c.gets : op.kind == OpKind::put ? c.puts : c.adds);
      c.hits += op.kind == OpKind::get && !op.miss;
    }
    return c;
  };
  const std::size_t firsts[] = {0, 1, 4095, 4096, 4097, 40'000, 77'823, 79'999};
  const std::uint64_t lengths[] = {0, 1, 7, 4096, 10'000, 79'999, 80'000, 80'001, 250'123};
  for (const std::size_t first : firsts) {
    for (const std::uint64_t n : lengths) {
      const OpSchedule::KindCounts want = by_hand(first, n);
      const OpSchedule::KindCounts got = s.count(first, n);
      ASSERT_EQ(got.gets, want.gets) << first << "+" << n;
      ASSERT_EQ(got.puts, want.puts) << first << "+" << n;
      ASSERT_EQ(got.adds, want.adds) << first << "+" << n;
      ASSERT_EQ(got.hits, want.hits) << first << "+" << n;
    }
  }
  const OpSchedule::KindCounts whole = s.count(0, ops.size());
  EXPECT_GT(whole.adds, 7'000u);
  EXPECT_GT(whole.puts, 22'000u);
  EXPECT_GT(whole.hits, 0u);
  EXPECT_LT(whole.hits, whole.gets);  // some gets miss
}

}  // namespace
}  // namespace sharebench

namespace sharebench {
namespace {

// Table files store slots placed by hash64, so its values must never change: these were
// computed before its tail was read with overlapping loads instead of a memcpy.
TEST(Hash, ValuesAreThoseTableFilesWereBuiltWith) {
  const char* text = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::uint64_t combined = 0;
  for (std::size_t n = 0; n <= 36; ++n) combined = combined * 31 + hash64(text, n, 7);
  EXPECT_EQ(combined, 8053123013270852137ULL);
  EXPECT_EQ(hash64("1998", 4, 0), 0x3ceaf4ab0f1902ffULL);
  EXPECT_EQ(hash64("123", 3, 5), 0x15b242ad5f1da1b2ULL);
}

TEST(Hash, SameBytesComparesEveryByteAtEveryLength) {
  const std::string a = "0123456789abcdefghijklmnopqrstuvwxyz";
  for (std::size_t n = 0; n <= a.size(); ++n) {
    std::string b = a;
    EXPECT_TRUE(same_bytes(a.data(), b.data(), n)) << n;
    for (std::size_t i = 0; i < n; ++i) {
      b[i] ^= 1;
      EXPECT_FALSE(same_bytes(a.data(), b.data(), n)) << "length " << n << ", byte " << i;
      b[i] ^= 1;
    }
  }
}

}  // namespace
}  // namespace sharebench
