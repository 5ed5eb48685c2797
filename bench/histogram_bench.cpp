// What recording a latency costs (the harness pays it once per timed batch).
#include <benchmark/benchmark.h>

#include <memory>

#include "harness/histogram.hpp"

namespace sharebench {
namespace {

void BM_HistogramRecord(benchmark::State& state) {
  auto h = std::make_unique<LatencyHistogram>();
  std::uint64_t v = 12345;
  for (auto _ : state) {
    h->record(v);
    v = (v * 2862933555777941757ULL + 3037000493ULL) >> 40;  // spread over many buckets
  }
  benchmark::DoNotOptimize(h->count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecord);

}  // namespace
}  // namespace sharebench
