// Per-operation costs of the mmap-table format in one process: build, single lookups (hit,
// miss) and batched lookups with prefetch, at the default 1,000,000 keys.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "harness/workload.hpp"
#include "strategies/mmap_table/mmap_table.hpp"
#include "strategies/mmap_table/table_format.hpp"

namespace sharebench {
namespace {

constexpr std::uint64_t kKeys = 1'000'000;

struct Table {
  Dataset dataset;
  std::vector<char> image;
  std::unique_ptr<mmap_table::TableView> view;
  std::vector<std::string> hits, misses;  // random keys, in lookup order

  Table() {
    WorkloadSpec spec = *find_workload("read");
    spec.keys = kKeys;
    dataset = build_dataset(spec);
    image.resize(mmap_table::image_size(dataset));
    mmap_table::build_image(dataset, image.data(), image.size());
    view = std::make_unique<mmap_table::TableView>(image.data(), image.size(), "bench");
    std::mt19937_64 rng(1);
    char text[kMaxKeySize];
    for (int i = 0; i < (1 << 20); ++i) {
      hits.emplace_back(text, format_data_key(rng() % kKeys, false, text));
      misses.emplace_back(text, format_data_key(rng() % kKeys, true, text));
    }
  }
};

const Table& table() {
  static const Table t;
  return t;
}

void BM_TableBuild(benchmark::State& state) {
  const Dataset& d = table().dataset;
  std::vector<char> image(mmap_table::image_size(d));
  for (auto _ : state) {
    mmap_table::build_image(d, image.data(), image.size());
    benchmark::DoNotOptimize(image.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(d.size()));
}
BENCHMARK(BM_TableBuild)->Unit(benchmark::kMillisecond);

void lookup(benchmark::State& state, const std::vector<std::string>& keys) {
  const auto& view = *table().view;
  std::size_t i = 0;
  for (auto _ : state) {
    std::string_view value;
    benchmark::DoNotOptimize(view.find(keys[i], value));
    benchmark::DoNotOptimize(value);
    i = (i + 1) & (keys.size() - 1);
  }
  state.SetItemsProcessed(state.iterations());
}
void BM_TableLookupHit(benchmark::State& state) { lookup(state, table().hits); }
void BM_TableLookupMiss(benchmark::State& state) { lookup(state, table().misses); }
BENCHMARK(BM_TableLookupHit);
BENCHMARK(BM_TableLookupMiss);

// The strategy's client on a batch of state.range(0) half-hit gets, as the runner drives it.
void BM_TableClientBatch(benchmark::State& state) {
  static auto strategy = [] {
    auto s = make_mmap_table_strategy({});
    s->prepare(table().dataset);
    return s;
  }();
  auto client = strategy->connect(0);
  const auto batch = static_cast<std::size_t>(state.range(0));
  std::vector<Op> ops(batch);
  const auto& hits = table().hits;
  const auto& misses = table().misses;
  std::size_t next = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < batch; ++i, ++next) {
      ops[i].key = (next & 1) ? misses[(next >> 1) & (misses.size() - 1)] : hits[(next >> 1) & (hits.size() - 1)];
    }
    client->execute(ops);
    benchmark::DoNotOptimize(ops.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TableClientBatch)->Arg(1)->Arg(4)->Arg(16)->Arg(64);

}  // namespace
}  // namespace sharebench
