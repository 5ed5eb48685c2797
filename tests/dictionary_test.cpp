// The dictionary socket-manager's server and queue-passing's owner hold: growing past its
// first size, values outgrowing their records, counters, and reset.
#include <gtest/gtest.h>

#include <string>

#include "strategies/common/dictionary.hpp"

namespace sharebench {
namespace {

TEST(Dictionary, GrowsAndOverwritesBeyondItsFirstSize) {
  const Dataset empty;
  Dictionary dict(empty);
  for (int i = 0; i < 10'000; ++i) dict.put("k" + std::to_string(i), std::string(static_cast<std::size_t>(i % 50), 'x'));
  dict.put("k7", "a longer value than before");
  std::string_view v;
  ASSERT_TRUE(dict.get("k7", v));
  EXPECT_EQ(v, "a longer value than before");
  ASSERT_TRUE(dict.get("k9999", v));
  EXPECT_EQ(v.size(), 9999u % 50);
  EXPECT_FALSE(dict.get("k10000", v));
  EXPECT_EQ(dict.size(), 10'000u);
}

TEST(Dictionary, CountersAreEightByteValuesAndResetRestoresTheDataset) {
  Dataset d;
  d.add("value", "v");
  d.add_counter("hits");
  Dictionary dict(d);
  std::int64_t n = 0;
  ASSERT_TRUE(dict.add("hits", 5, n));
  EXPECT_EQ(n, 5);
  std::string_view v;
  ASSERT_TRUE(dict.get("hits", v));
  EXPECT_EQ(v, std::string_view(reinterpret_cast<const char*>(&n), sizeof n)) << "a native int64";
  ASSERT_TRUE(dict.add("fresh", -3, n)) << "an absent key becomes a counter at 0";
  EXPECT_EQ(n, -3);
  EXPECT_FALSE(dict.add("value", 1, n)) << "a 1-byte value is not a counter";
  ASSERT_TRUE(dict.get("value", v));
  EXPECT_EQ(v, "v") << "a refused add changes nothing";

  dict.put("", "empty key");
  dict.reset();
  EXPECT_FALSE(dict.get("", v));
  EXPECT_FALSE(dict.get("fresh", v));
  ASSERT_TRUE(dict.add("hits", 0, n));
  EXPECT_EQ(n, 0);
  EXPECT_EQ(dict.size(), 2u);
}

}  // namespace
}  // namespace sharebench
