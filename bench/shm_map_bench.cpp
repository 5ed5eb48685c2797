// shm-map's per-operation costs in one process: the seqlock get, the slot-locked put, the
// lock-free add, and the batched client, on the `mixed` preset's 100,000 keys.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <memory>
#include <random>
#include <vector>

#include "common/os.hpp"
#include "harness/workload.hpp"
#include "strategies/shm_map/shm_map.hpp"

namespace sharebench {
namespace {

struct Map {
  WorkloadSpec spec = *find_workload("mixed");
  Dataset dataset;
  std::unique_ptr<Strategy> strategy;
  std::unique_ptr<Client> client;
  std::vector<std::string> keys;  // random present keys, in lookup order
  std::string value;

  Map() {
    spec.counter_keys = 16;
    dataset = build_dataset(spec);
    StrategyOptions options;
    options.object_prefix = "sharebench-bench-" + random_hex(4) + "-" + std::to_string(::getpid());
    strategy = make_shm_map_strategy(options);
    strategy->prepare(dataset);
    client = strategy->connect(0);
    std::mt19937_64 rng(1);
    char text[kMaxKeySize];
    for (int i = 0; i < (1 << 16); ++i) keys.emplace_back(text, format_data_key(rng() % spec.keys, false, text));
    value.assign(spec.value_size, 'v');
  }
  ~Map() {
    client.reset();
    strategy->teardown();
  }
};

Map& map() {
  static Map m;
  return m;
}

void BM_ShmMapGet(benchmark::State& state) {
  Map& m = map();
  std::string out;
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(m.client->get(m.keys[i], out));
    i = (i + 1) & (m.keys.size() - 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ShmMapGet);

void BM_ShmMapPut(benchmark::State& state) {
  Map& m = map();
  std::size_t i = 0;
  for (auto _ : state) {
    m.client->put(m.keys[i], m.value);
    i = (i + 1) & (m.keys.size() - 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ShmMapPut);

void BM_ShmMapAdd(benchmark::State& state) {
  Map& m = map();
  const std::string counter = counter_key(3);
  for (auto _ : state) benchmark::DoNotOptimize(m.client->add(counter, 1));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ShmMapAdd);

void BM_ShmMapGetBatch(benchmark::State& state) {
  Map& m = map();
  std::vector<Op> ops(static_cast<std::size_t>(state.range(0)));
  std::size_t next = 0;
  for (auto _ : state) {
    for (Op& op : ops) {
      op.key = m.keys[next];
      next = (next + 1) & (m.keys.size() - 1);
    }
    m.client->execute(ops);
    benchmark::DoNotOptimize(ops.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ShmMapGetBatch)->Arg(1)->Arg(16);

}  // namespace
}  // namespace sharebench
