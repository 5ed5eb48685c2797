// The table format and the mmap-table strategy: exact bytes back, absent keys absent, files
// shared between runs, and every kind of corruption refused with a message.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "strategies/mmap_table/mmap_table.hpp"
#include "strategies/mmap_table/table_format.hpp"
#include "tests/test_support.hpp"

namespace sharebench {
namespace {

using mmap_table::TableHeader;
using mmap_table::TableView;
using testing::ScratchDir;

std::vector<char> build(const Dataset& d) {
  std::vector<char> image(mmap_table::image_size(d));
  mmap_table::build_image(d, image.data(), image.size());
  return image;
}

Dataset numbered(std::size_t n) {
  Dataset d;
  for (std::size_t i = 0; i < n; ++i) d.add(std::to_string(2 * i), "value-" + std::to_string(i));
  return d;
}

TEST(TableFormat, EveryKeyReadsBackItsExactBytesAndMissesAreAbsent) {
  const Dataset d = numbered(10'000);
  const auto image = build(d);
  const TableView view(image.data(), image.size(), "test");
  for (std::size_t i = 0; i < d.size(); ++i) {
    std::string_view value;
    ASSERT_TRUE(view.find(d.key(i), value)) << d.key(i);
    EXPECT_EQ(value, d.value(i));
    ASSERT_FALSE(view.find(std::to_string(2 * i + 1), value));
  }
  EXPECT_EQ(view.header().key_count, 10'000u);
}

TEST(TableFormat, EmptyDatasetFindsNothing) {
  const Dataset d;
  const auto image = build(d);
  const TableView view(image.data(), image.size(), "test");
  std::string_view value;
  EXPECT_FALSE(view.find("", value));
  EXPECT_FALSE(view.find("0", value));
}

TEST(TableFormat, OneKey) {
  Dataset d;
  d.add("only", "one");
  const auto image = build(d);
  const TableView view(image.data(), image.size(), "test");
  std::string_view value;
  ASSERT_TRUE(view.find("only", value));
  EXPECT_EQ(value, "one");
  EXPECT_FALSE(view.find("onlY", value));
}

TEST(TableFormat, KeysAndValuesWithNulBytesAndEmptyKey) {
  Dataset d;
  const std::string k1("a\0b", 3), k2("a\0c", 3), v1("\0\0\0", 3), v2("x\0", 2);
  d.add(k1, v1);
  d.add(k2, v2);
  d.add("", "empty key");
  const auto image = build(d);
  const TableView view(image.data(), image.size(), "test");
  std::string_view value;
  ASSERT_TRUE(view.find(k1, value));
  EXPECT_EQ(value, v1);
  ASSERT_TRUE(view.find(k2, value));
  EXPECT_EQ(value, v2);
  ASSERT_TRUE(view.find("", value));
  EXPECT_EQ(value, "empty key");
  EXPECT_FALSE(view.find(std::string("a\0", 2), value));
  EXPECT_FALSE(view.find("a", value));
}

TEST(TableFormat, LargeValue) {
  Dataset d;
  std::string big(64 * 1024, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  d.add("big", big);
  d.add("small", "s");
  const auto image = build(d);
  const TableView view(image.data(), image.size(), "test");
  std::string_view value;
  ASSERT_TRUE(view.find("big", value));
  EXPECT_EQ(value, big);
}

TEST(TableFormat, DuplicateKeyIsRejectedAtBuild) {
  Dataset d;
  d.add("k", "1");
  d.add("k", "2");
  std::vector<char> image(mmap_table::image_size(d));
  EXPECT_THROW(mmap_table::build_image(d, image.data(), image.size()), Error);
}

// ----- corruption: each is refused with a message naming the source and the problem -----

std::string rejection(const std::vector<char>& image) {
  try {
    TableView(image.data(), image.size(), "table file 'x.tbl'");
  } catch (const Error& e) {
    return e.what();
  }
  return "accepted";
}

class Corruption : public ::testing::Test {
 protected:
  Dataset d = numbered(100);
  std::vector<char> image = build(d);
  TableHeader header() const {
    TableHeader h;
    std::memcpy(&h, image.data(), sizeof h);
    return h;
  }
  void set_header(const TableHeader& h) { std::memcpy(image.data(), &h, sizeof h); }
};

TEST_F(Corruption, IntactImageIsAccepted) { EXPECT_EQ(rejection(image), "accepted"); }

TEST_F(Corruption, Truncated) {
  image.resize(image.size() - 1);
  EXPECT_EQ(rejection(image).rfind("table file 'x.tbl': truncated", 0), 0u) << rejection(image);
  image.resize(10);
  EXPECT_NE(rejection(image).find("truncated"), std::string::npos);
}

TEST_F(Corruption, TrailingBytes) {
  image.push_back('x');
  EXPECT_NE(rejection(image).find("trailing bytes"), std::string::npos);
}

TEST_F(Corruption, BadMagic) {
  image[0] = 'X';
  EXPECT_NE(rejection(image).find("bad magic"), std::string::npos);
}

TEST_F(Corruption, BadVersion) {
  TableHeader h = header();
  h.format_version = 99;
  set_header(h);
  EXPECT_NE(rejection(image).find("format version 99"), std::string::npos);
}

TEST_F(Corruption, SlotCountNotAPowerOfTwo) {
  TableHeader h = header();
  h.slot_count = 300;
  set_header(h);
  EXPECT_NE(rejection(image).find("bad slot count"), std::string::npos);
}

TEST_F(Corruption, OffsetOutOfBounds) {
  const TableHeader h = header();
  auto* slots = reinterpret_cast<std::uint64_t*>(image.data() + h.header_size);
  for (std::uint64_t s = 0; s < h.slot_count; ++s) {
    if (slots[s] != 0) {
      slots[s] = (slots[s] & ~((std::uint64_t{1} << 48) - 1)) | (h.data_size + 100);
      break;
    }
  }
  EXPECT_NE(rejection(image).find("points outside the records"), std::string::npos) << rejection(image);
}

TEST_F(Corruption, RecordLengthRunsPastTheEnd) {
  const TableHeader h = header();
  const char* records = image.data() + h.header_size + h.slot_count * 8;
  const auto* slots = reinterpret_cast<const std::uint64_t*>(image.data() + h.header_size);
  for (std::uint64_t s = 0; s < h.slot_count; ++s) {
    if (slots[s] != 0) {
      const std::uint64_t offset = (slots[s] & ((std::uint64_t{1} << 48) - 1)) - 1;
      const std::uint32_t huge = 0x7fffffff;
      std::memcpy(const_cast<char*>(records) + offset + 4, &huge, 4);
      break;
    }
  }
  EXPECT_NE(rejection(image).find("runs past the end"), std::string::npos) << rejection(image);
}

TEST_F(Corruption, ChecksumCatchesAFlippedValueByte) {
  image[image.size() - 1] ^= 0x20;
  EXPECT_NE(rejection(image).find("checksum mismatch"), std::string::npos);
}

TEST_F(Corruption, WrongKeyCount) {
  TableHeader h = header();
  h.key_count = 99;
  set_header(h);
  EXPECT_NE(rejection(image).find("occupied slots"), std::string::npos);
}

// ----- the strategy with --table-file -----

StrategyOptions with_table_file(const std::string& path) {
  StrategyOptions o;
  o.given["--table-file"] = path;
  return o;
}

TEST(MmapTableStrategy, TableFileIsBuiltOnceAndMappedByALaterRun) {
  ScratchDir dir;
  const std::string path = dir.file("t.tbl");
  const Dataset d = numbered(1000);
  {
    auto s = make_mmap_table_strategy(with_table_file(path));
    s->prepare(d);
    std::string value;
    EXPECT_TRUE(s->connect(0)->get("2", value));
    EXPECT_EQ(value, "value-1");
    s->teardown();
  }
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  {
    auto s = make_mmap_table_strategy(with_table_file(path));
    s->check_options({});
    s->prepare(d);
    std::string value;
    EXPECT_TRUE(s->connect(0)->get("1998", value));
    EXPECT_EQ(value, "value-999");
    s->teardown();
  }
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino) << "the second run rebuilt the file";
  EXPECT_EQ(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
  EXPECT_EQ(std::filesystem::directory_iterator(dir.path())->path(), path) << "a temp file was left";
}

TEST(MmapTableStrategy, TableFileOfAnotherDatasetIsRefusedNamingWhatDiffers) {
  ScratchDir dir;
  const std::string path = dir.file("t.tbl");
  auto first = make_mmap_table_strategy(with_table_file(path));
  first->prepare(numbered(10));  // values value-0 ... value-9: 7 bytes at most
  first->teardown();
  auto second = make_mmap_table_strategy(with_table_file(path));
  try {
    second->prepare(numbered(11));
    FAIL() << "accepted a table of another dataset";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "table file '" + path +
                                         "' was built from another dataset (this run's vs the file's: keys 11 vs 10; "
                                         "value size 8 vs 7): remove it or choose another --table-file");
  }
  second->teardown();

  // Before anything runs, from the shapes of the run's datasets.
  DatasetShape wider{.workload = "read", .keys = 10, .max_value_size = 64};
  try {
    second->check_options(std::vector<DatasetShape>{wider});
    FAIL() << "check_options accepted a table of another dataset";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "table file '" + path +
                                         "' was built from another dataset (this run's vs the file's: value size 64 "
                                         "vs 7): remove it or choose another --table-file");
  }
  DatasetShape same{.workload = "hot", .keys = 10, .max_value_size = 7};
  EXPECT_NO_THROW(second->check_options(std::vector<DatasetShape>{same}));
}

TEST(MmapTableStrategy, OneTableFileCannotServeTwoDatasets) {
  ScratchDir dir;
  auto s = make_mmap_table_strategy(with_table_file(dir.file("t.tbl")));
  const std::vector<DatasetShape> two = {{.workload = "read", .keys = 1000, .max_value_size = 32},
                                         {.workload = "big", .keys = 2000, .max_value_size = 32}};
  try {
    s->check_options(two);
    FAIL() << "accepted one table file for two datasets";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "--table-file holds one dataset, but workloads read and big have two (keys 2000 "
                                     "vs 1000): run them with separate table files");
  }
}

// A mismatch is bad input, refused before anything runs (exit 2), as a corrupt file is; a
// workload mmap-table does not run (counter: adds) is not held against the file.
TEST(MmapTableStrategy, CommandLineRefusesATableFileOfAnotherDatasetUpFront) {
  ScratchDir dir;
  const std::string path = dir.file("t.tbl");
  const std::vector<std::string> run = {"--strategy", "mmap-table", "--table-file", path, "--keys", "1000",
                                        "--procs", "1", "--duration", "0.05", "--warmup", "0"};
  ASSERT_EQ(testing::run_sharebench(run).exit_code, 0);
  std::vector<std::string> wider = run;
  wider.insert(wider.end(), {"--value-size", "64"});
  const auto refused = testing::run_sharebench(wider);
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(refused.err, "sharebench: table file '" + path +
                             "' was built from another dataset (this run's vs the file's: value size 64 vs 32): "
                             "remove it or choose another --table-file\n");
  EXPECT_EQ(refused.out, "");
  std::vector<std::string> with_counter = run;
  with_counter.insert(with_counter.end(), {"--workload", "read,counter"});
  EXPECT_EQ(testing::run_sharebench(with_counter).exit_code, 0);
}

TEST(MmapTableStrategy, CorruptTableFileIsRefusedByCheckOptions) {
  ScratchDir dir;
  const std::string path = dir.file("bad.tbl");
  std::ofstream(path) << "this is not a table, but long enough to hold a header......................";
  auto s = make_mmap_table_strategy(with_table_file(path));
  try {
    s->check_options({});
    FAIL() << "accepted a corrupt table file";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "table file '" + path + "': not a sharebench table (bad magic)");
  }
}

TEST(MmapTableStrategy, WritesAreRefused) {
  auto s = make_mmap_table_strategy({});
  s->prepare(numbered(3));
  auto c = s->connect(0);
  EXPECT_THROW(c->put("0", "x"), Error);
  EXPECT_THROW(c->add("0", 1), Error);
  EXPECT_FALSE(s->capabilities().put);
  s->teardown();
}

TEST(MmapTableStrategy, BatchedExecuteMatchesSingleGets) {
  auto s = make_mmap_table_strategy({});
  const Dataset d = numbered(5000);
  s->prepare(d);
  auto c = s->connect(0);
  std::vector<Op> ops(77);
  std::vector<std::string> keys(77);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    keys[i] = std::to_string(i * 3);
    ops[i].key = keys[i];
  }
  c->execute(ops);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    std::string single;
    const bool found = c->get(keys[i], single);
    EXPECT_EQ(ops[i].found, found) << keys[i];
    if (found) {
      EXPECT_EQ(ops[i].result, single);
    }
  }
  s->teardown();
}

}  // namespace
}  // namespace sharebench
