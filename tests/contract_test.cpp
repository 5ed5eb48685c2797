// The map contract every strategy that takes writes must keep, through one client in this
// process: exact bytes back (NUL and 0xff included, the empty value and the empty key), overwrites longer and
// shorter, absent keys absent, a batch that sees its own earlier writes, counters that add.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <memory>
#include <string>
#include <vector>

#include "strategies/registry.hpp"
#include "tests/test_strategies.hpp"
#include "tests/test_support.hpp"

namespace sharebench {
namespace {

const std::string kNulKey("\0k\0", 3);
const std::string kNulValue("\0v\0\xff", 4);

class Writable : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    options.object_prefix = testing::test_object_prefix();
    Dataset d;
    d.add("a", "1");
    d.add("b", "22");
    d.add(kNulKey, kNulValue);
    d.add_counter("hits");
    d.set_max_put_value_size(64);
    strategy = find_strategy(GetParam())->make(options);
    try {
      strategy->prepare(d);
    } catch (const Unavailable& e) {  // redis-server missing: the runner skips such cells too
      strategy.reset();
      GTEST_SKIP() << e.what();
    }
    client = strategy->connect(0);
  }
  void TearDown() override {
    client.reset();
    if (strategy) strategy->teardown();
    EXPECT_EQ(testing::os_objects_with(options.object_prefix), std::vector<std::string>{});
    EXPECT_EQ(testing::tmp_entries_with(options.object_prefix), std::vector<std::string>{});
    EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1) << "a child process was left unreaped";
  }

  std::string get(std::string_view key) {
    std::string value;
    EXPECT_TRUE(client->get(key, value)) << "'" << key << "' is absent";
    return value;
  }
  bool present(std::string_view key) {
    std::string value;
    return client->get(key, value);
  }

  StrategyOptions options;
  std::unique_ptr<Strategy> strategy;
  std::unique_ptr<Client> client;
};

TEST_P(Writable, PreloadedKeysReadBackExactlyAndOthersAreAbsent) {
  EXPECT_EQ(get("a"), "1");
  EXPECT_EQ(get("b"), "22");
  EXPECT_EQ(get(kNulKey), kNulValue);
  EXPECT_FALSE(present("c"));
  EXPECT_FALSE(present(std::string("\0k", 2)));  // a prefix of a present key
  EXPECT_FALSE(present(std::string("\0k\0\0", 4)));
}

TEST_P(Writable, PutsInsertAndOverwriteLongerShorterAndEmpty) {
  client->put("c", "new");
  EXPECT_EQ(get("c"), "new");
  const std::string longer(64, 'L');
  client->put("a", longer);
  EXPECT_EQ(get("a"), longer);
  client->put("a", "s");
  EXPECT_EQ(get("a"), "s");
  client->put("b", "");
  EXPECT_EQ(get("b"), "");
  client->put(kNulKey, std::string("\xff\0", 2));
  EXPECT_EQ(get(kNulKey), std::string("\xff\0", 2));
  client->put("", "empty key");
  EXPECT_EQ(get(""), "empty key");
  EXPECT_EQ(get("c"), "new") << "other keys keep their values";
}

TEST_P(Writable, ABatchSeesItsOwnEarlierWritesInOrder) {
  std::vector<Op> ops(5);
  ops[0].kind = OpKind::get, ops[0].key = "a";
  ops[1].kind = OpKind::put, ops[1].key = "x", ops[1].value = "first";
  ops[2].kind = OpKind::get, ops[2].key = "x";
  ops[3].kind = OpKind::put, ops[3].key = "x", ops[3].value = "second";
  ops[4].kind = OpKind::get, ops[4].key = "absent";
  client->execute(ops);
  EXPECT_TRUE(ops[0].found);
  EXPECT_EQ(ops[0].result, "1");
  EXPECT_TRUE(ops[2].found);
  EXPECT_EQ(ops[2].result, "first");
  EXPECT_FALSE(ops[4].found);
  EXPECT_EQ(get("x"), "second");
}

TEST_P(Writable, CountersAddAndReturnTheirNewValue) {
  if (!strategy->capabilities().add) GTEST_SKIP() << GetParam() << " has no add";
  EXPECT_EQ(client->add("hits", 5), 5);
  EXPECT_EQ(client->add("hits", -2), 3);
  std::vector<Op> ops(3);
  for (Op& op : ops) op.kind = OpKind::add, op.key = "hits", op.delta = 10;
  client->execute(ops);
  EXPECT_EQ(ops[0].counter, 13);
  EXPECT_EQ(ops[2].counter, 33) << "a batched add returns the counter's value after it";
  EXPECT_EQ(client->add("hits", 0), 33);
  EXPECT_EQ(client->add("fresh", 7), 7) << "an absent key becomes a counter at 0";
}

INSTANTIATE_TEST_SUITE_P(EveryStrategy, Writable,
                         ::testing::ValuesIn(testing::strategy_names([](const Capabilities& c) {
                           return c.holds_data && c.put;
                         })),
                         testing::parameter_name);

}  // namespace
}  // namespace sharebench
