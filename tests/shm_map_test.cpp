// shm-map beyond the map contract every writable strategy keeps (contract_test): large
// values, counters, exactness under concurrent processes, a full segment's message, and a
// clean /dev/shm afterwards.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <functional>
#include <random>
#include <set>

#include "common/error.hpp"
#include "common/os.hpp"
#include "harness/workload.hpp"
#include "strategies/shm_map/shm_map.hpp"
#include "tests/test_support.hpp"

namespace sharebench {
namespace {

StrategyOptions unique_options() {
  StrategyOptions o;
  o.object_prefix = testing::test_object_prefix();
  return o;
}

// Runs body(w) in each of `procs` forked processes, w = 0 .. procs - 1, and expects each to
// exit cleanly (an exception or a crash in one shows as a failed exit).
void in_processes(int procs, const std::function<void(int)>& body) {
  std::vector<pid_t> children;
  for (int w = 0; w < procs; ++w) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0) << "fork";
    if (pid == 0) {
      body(w);
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
}

class ShmMapTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (strategy) strategy->teardown();
    EXPECT_EQ(testing::os_objects_with("-" + std::to_string(::getpid())), std::vector<std::string>{});
  }
  Client& prepared(const Dataset& d, StrategyOptions o = unique_options()) {
    strategy = make_shm_map_strategy(o);
    strategy->prepare(d);
    client = strategy->connect(0);
    return *client;
  }
  std::unique_ptr<Strategy> strategy;
  std::unique_ptr<Client> client;
};

TEST_F(ShmMapTest, LargeValues) {
  StrategyOptions o = unique_options();
  o.given["--shm-size"] = "16M";
  Client& c = prepared(Dataset{}, o);
  std::string big(1 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 + 7);
  c.put("big", big);
  std::string v;
  ASSERT_TRUE(c.get("big", v));
  EXPECT_EQ(v, big);
  big[12345] ^= 1;
  c.put("big", big);  // same size: written in place
  ASSERT_TRUE(c.get("big", v));
  EXPECT_EQ(v, big);
}

// A batch's gets take an inline path for keys up to 16 bytes and values up to the client's
// copy room (256 bytes), the general one otherwise: both must read back exact bytes, on either
// side of every boundary, and a key must never be taken for another of its size.
TEST_F(ShmMapTest, BatchedGetsReadExactBytesAtEveryKeyAndValueSize) {
  const std::size_t key_sizes[] = {1, 3, 4, 7, 8, 9, 15, 16, 17, 24};
  const std::size_t value_sizes[] = {0, 1, 7, 8, 9, 31, 32, 33, 255, 256, 257, 1000};
  std::vector<std::string> keys, values, absent;
  for (const std::size_t k : key_sizes) {
    for (const std::size_t v : value_sizes) {
      std::string key(k, 'a');
      key[k - 1] = static_cast<char>('a' + keys.size() / 26);  // unique per (k, v)
      key[0] = static_cast<char>('A' + keys.size() % 26);
      std::string value(v, '\0');
      for (std::size_t i = 0; i < v; ++i) value[i] = static_cast<char>(keys.size() * 7 + i * 13 + 1);
      std::string other = key;
      other[k / 2] = '~';  // the same size, another key: never put
      keys.push_back(std::move(key));
      values.push_back(std::move(value));
      absent.push_back(std::move(other));
    }
  }
  Dataset d;
  for (std::size_t i = 0; i < keys.size(); ++i) d.add(keys[i], values[i]);
  Client& c = prepared(d);
  std::vector<Op> batch(keys.size() + absent.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    batch[2 * i].key = keys[i];
    batch[2 * i + 1].key = absent[i];
  }
  c.execute(batch);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    EXPECT_TRUE(batch[2 * i].found) << "key of " << keys[i].size() << " bytes, value of " << values[i].size();
    EXPECT_EQ(batch[2 * i].result, values[i]) << "key of " << keys[i].size() << " bytes";
    EXPECT_FALSE(batch[2 * i + 1].found) << "'" << absent[i] << "' was never put";
  }
}

// 100,000 absent keys of the sizes present ones have: a 16-bit fingerprint matches now and
// then, and only the key compare can then tell the keys apart.
TEST_F(ShmMapTest, AbsentKeysWhoseFingerprintMatchesAreAbsent) {
  constexpr std::uint64_t kKeys = 200'000;
  Dataset d;
  char text[kMaxKeySize];
  std::string value(16, '\0');
  for (std::uint64_t i = 0; i < kKeys; ++i) {
    const std::string_view key(text, format_data_key(i, false, text));
    fill_value(value.data(), value.size(), value_key_hash(key), 0);
    d.add(key, value);
  }
  Client& c = prepared(d);
  std::vector<std::array<char, kMaxKeySize>> texts(16);
  std::vector<Op> batch(16);
  std::uint64_t found_absent = 0, missed_present = 0;
  for (std::uint64_t base = 0; base < kKeys; base += batch.size()) {
    for (std::size_t j = 0; j < batch.size(); ++j) {
      const std::uint64_t i = base + j;
      batch[j].key = std::string_view(texts[j].data(), format_data_key(i / 2, i % 2 == 1, texts[j].data()));
    }
    c.execute(batch);
    for (std::size_t j = 0; j < batch.size(); ++j) {
      const bool present = (base + j) % 2 == 0;
      std::uint64_t version = 1;
      if (present && !(batch[j].found && value_is_valid(batch[j].result, 16, value_key_hash(batch[j].key), &version) &&
                       version == 0)) {
        ++missed_present;
      }
      if (!present && batch[j].found) ++found_absent;
    }
  }
  EXPECT_EQ(found_absent, 0u);
  EXPECT_EQ(missed_present, 0u);
}

TEST_F(ShmMapTest, ACounterIsStoredAsEightBytesAndRefusesMixing) {
  Dataset d;
  d.add("value", "v");
  d.add_counter("hits");
  Client& c = prepared(d);
  c.add("hits", 3);  // adding itself is in contract_test; here: how a counter is stored
  std::string v;
  ASSERT_TRUE(c.get("hits", v));
  std::int64_t stored = 0;
  ASSERT_EQ(v.size(), sizeof stored);
  std::memcpy(&stored, v.data(), sizeof stored);
  EXPECT_EQ(stored, 3);
  EXPECT_THROW(c.add("value", 1), Error);
  EXPECT_THROW(c.put("hits", "x"), Error);
}

TEST_F(ShmMapTest, FullSegmentIsAClearErrorNamingShmSize) {
  StrategyOptions o = unique_options();
  o.given["--shm-size"] = "2M";
  Client& c = prepared(Dataset{}, o);
  const std::string value(100'000, 'v');
  try {
    for (int i = 0; i < 1000; ++i) c.put("k" + std::to_string(i), value);
    FAIL() << "a 2 MiB segment took 100 MB";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("segment full"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("raise --shm-size"), std::string::npos) << e.what();
  }
  // What was stored before the error is intact.
  std::string v;
  ASSERT_TRUE(c.get("k0", v));
  EXPECT_EQ(v, value);
}

TEST_F(ShmMapTest, PreloadTooBigForShmSizeFailsPrepare) {
  StrategyOptions o = unique_options();
  o.given["--shm-size"] = "1M";
  Dataset d;
  for (int i = 0; i < 50'000; ++i) d.add(std::to_string(i), std::string(64, 'x'));
  strategy = make_shm_map_strategy(o);
  try {
    strategy->prepare(d);
    FAIL() << "prepare() accepted a dataset larger than --shm-size";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--shm-size"), std::string::npos) << e.what();
  }
}

TEST_F(ShmMapTest, SegmentIsOwnerOnlyAndNamedWithTheRunPrefix) {
  StrategyOptions o = unique_options();
  prepared(Dataset{}, o);
  struct stat st {};
  const std::string path = "/dev/shm/" + o.object_prefix + "-shm-map";
  ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// 4 processes, a fixed number of operations each, then an exact audit of the final state.
TEST_F(ShmMapTest, FourProcessesLoseNothingAndReadOnlyValidValues) {
  constexpr int kProcs = 4;
  constexpr int kOpsPerProc = 200'000;
  constexpr std::uint32_t kKeys = 2000, kCounters = 16, kValueSize = 48;
  Dataset d;
  char text[kMaxKeySize];
  std::string value(kValueSize, '\0');
  for (std::uint32_t i = 0; i < kKeys; ++i) {
    const std::string_view key(text, format_data_key(i, false, text));
    fill_value(value.data(), kValueSize, value_key_hash(key), 0);
    d.add(key, value);
  }
  for (std::uint32_t c = 0; c < kCounters; ++c) d.add_counter(counter_key(c));
  prepared(d);
  // Per process: adds acknowledged, bad reads, and the last version it put to each key.
  struct Audit {
    std::atomic<std::uint64_t> adds, bad_reads;
    std::uint64_t last_put[kProcs][kKeys];
  };
  Mapping shared = Mapping::shared_anonymous(sizeof(Audit));
  auto* audit = new (shared.data()) Audit{};
  in_processes(kProcs, [&](int w) {
    auto c = strategy->connect(w);
    std::mt19937_64 rng(static_cast<std::uint64_t>(w) + 1);
    std::string buffer(kValueSize, '\0'), out;
    std::uint64_t seq = 0;
    for (int i = 0; i < kOpsPerProc; ++i) {
      const auto r = rng() % 100;
      const auto k = static_cast<std::uint32_t>(rng() % kKeys);
      const std::string_view key(text, format_data_key(k, false, text));
      if (r < 10) {
        c->add(counter_key(static_cast<std::uint32_t>(rng() % kCounters)), 1);
        audit->adds.fetch_add(1);
      } else if (r < 40) {
        const std::uint64_t version = put_version(w, ++seq);
        fill_value(buffer.data(), kValueSize, value_key_hash(key), version);
        c->put(key, buffer);
        audit->last_put[w][k] = version;
      } else {
        std::uint64_t version = 0;
        if (!c->get(key, out) || !value_is_valid(out, kValueSize, value_key_hash(key), &version)) {
          audit->bad_reads.fetch_add(1);
        }
      }
    }
  });
  EXPECT_EQ(audit->bad_reads.load(), 0u);
  std::int64_t sum = 0;
  for (std::uint32_t c = 0; c < kCounters; ++c) sum += client->add(counter_key(c), 0);
  EXPECT_EQ(static_cast<std::uint64_t>(sum), audit->adds.load()) << "lost or duplicated adds";
  std::uint64_t lost = 0;
  for (std::uint32_t k = 0; k < kKeys; ++k) {
    const std::string_view key(text, format_data_key(k, false, text));
    std::string out;
    std::uint64_t version = 0;
    ASSERT_TRUE(client->get(key, out));
    ASSERT_TRUE(value_is_valid(out, kValueSize, value_key_hash(key), &version)) << key;
    std::set<std::uint64_t> last_puts;
    for (int w = 0; w < kProcs; ++w) {
      if (audit->last_put[w][k] != 0) last_puts.insert(audit->last_put[w][k]);
    }
    if (last_puts.empty() ? version != 0 : last_puts.count(version) == 0) ++lost;
  }
  EXPECT_EQ(lost, 0u);
}

// Values whose size changes with every put, through execute() in batches: an entry that
// grows is replaced by a new one and the old one freed, and the allocator hands freed
// entries to other keys. A reader on the batched path must still see only whole values,
// each of the size its version says.
TEST_F(ShmMapTest, BatchedReadsSeeWholeValuesWhileEntriesGrowAndAreReused) {
  constexpr int kProcs = 4;
  constexpr int kBatchesPerProc = 40'000;
  constexpr std::size_t kBatch = 16;
  constexpr std::uint32_t kKeys = 500;
  // 16 to 400 bytes: both sides of the batched path's 256-byte copy room.
  const auto size_of = [](std::uint64_t version) {
    return kMinValueSize + static_cast<std::size_t>((version * 0x9e3779b97f4a7c15ULL) >> 40) % 385;
  };
  Dataset d;
  char text[kMaxKeySize];
  for (std::uint32_t i = 0; i < kKeys; ++i) {
    const std::string_view key(text, format_data_key(i, false, text));
    std::string value(size_of(0), '\0');
    fill_value(value.data(), value.size(), value_key_hash(key), 0);
    d.add(key, value);
  }
  prepared(d);
  Mapping shared = Mapping::shared_anonymous(sizeof(std::atomic<std::uint64_t>) * 2);
  auto* bad_reads = new (shared.data()) std::atomic<std::uint64_t>{0};
  auto* puts_that_grew = new (shared.data() + sizeof(std::atomic<std::uint64_t>)) std::atomic<std::uint64_t>{0};
  in_processes(kProcs, [&](int w) {
    auto c = strategy->connect(w);
    std::mt19937_64 rng(static_cast<std::uint64_t>(w) + 1);
    std::vector<Op> ops(kBatch);
    std::vector<std::array<char, kMaxKeySize>> keys(kBatch);
    std::vector<std::string> values(kBatch);
    std::vector<std::size_t> last_size(kKeys, size_of(0));
    std::uint64_t seq = 0, bad = 0, grew = 0;
    for (int b = 0; b < kBatchesPerProc; ++b) {
      for (std::size_t i = 0; i < kBatch; ++i) {
        const auto k = static_cast<std::uint32_t>(rng() % kKeys);
        ops[i].key = std::string_view(keys[i].data(), format_data_key(k, false, keys[i].data()));
        if (rng() % 100 < 40) {
          const std::uint64_t version = put_version(w, ++seq);
          values[i].resize(size_of(version));
          fill_value(values[i].data(), values[i].size(), value_key_hash(ops[i].key), version);
          grew += values[i].size() > last_size[k];  // as far as this process has seen
          last_size[k] = values[i].size();
          ops[i].kind = OpKind::put;
          ops[i].value = values[i];
        } else {
          ops[i].kind = OpKind::get;
        }
      }
      c->execute(ops);
      for (const Op& op : ops) {
        if (op.kind != OpKind::get) continue;
        std::uint64_t version = 0;
        const bool whole = op.found && op.result.size() >= kMinValueSize &&
                           value_is_valid(op.result, size_of(load64(op.result.data())), value_key_hash(op.key), &version);
        bad += !whole;
      }
    }
    bad_reads->fetch_add(bad);
    puts_that_grew->fetch_add(grew);
  });
  EXPECT_EQ(bad_reads->load(), 0u);
  EXPECT_GT(puts_that_grew->load(), 10'000u) << "the test no longer moves entries";
}

}  // namespace
}  // namespace sharebench
