// socket-manager's wire format: encoding and decoding a request and a reply of the read
// workload's sizes (a 7-byte key, a 32-byte value), and the server's handling of a batch.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "harness/workload.hpp"
#include "strategies/common/dictionary.hpp"
#include "strategies/socket_manager/handler.hpp"
#include "strategies/socket_manager/wire.hpp"

namespace sharebench {
namespace {

using namespace socket_manager;

const std::string kKey = "1234566";
const std::string kValue(32, 'v');

void BM_EncodeRequest(benchmark::State& state) {
  std::string frame;
  for (auto _ : state) {
    frame.clear();
    encode_request(frame, {WireOp::get, 7, kKey, {}});
    benchmark::DoNotOptimize(frame.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeRequest);

void BM_DecodeRequest(benchmark::State& state) {
  std::string frame;
  encode_request(frame, {WireOp::put, 7, kKey, kValue});
  Request r;
  for (auto _ : state) benchmark::DoNotOptimize(decode_request(frame, r));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeRequest);

void BM_EncodeDecodeReply(benchmark::State& state) {
  std::string frame;
  Reply r;
  for (auto _ : state) {
    frame.clear();
    encode_reply(frame, {WireStatus::found, 7, kValue});
    benchmark::DoNotOptimize(decode_reply(frame, r));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeDecodeReply);

// The server's work per request, without the transport: 16 gets of the read workload's keys.
void BM_DictionaryHandleBatch(benchmark::State& state) {
  WorkloadSpec spec = *find_workload("read");
  spec.keys = static_cast<std::uint64_t>(state.range(0));
  const Dataset dataset = build_dataset(spec);
  Dictionary dictionary(dataset);
  Handler handler(dictionary);
  const OpSchedule schedule(spec, 1);
  std::vector<std::string> frames;
  for (std::size_t i = 0; i < 4096; ++i) {
    frames.emplace_back();
    encode_request(frames.back(), {WireOp::get, static_cast<std::uint32_t>(i), schedule.ops()[i].key(), {}});
  }
  std::vector<std::string_view> batch(16);
  std::string out;
  std::size_t next = 0;
  for (auto _ : state) {
    for (auto& view : batch) {
      view = frames[next];
      next = (next + 1) & 4095;
    }
    out.clear();
    handler.handle(batch, out, true);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 16);
}
BENCHMARK(BM_DictionaryHandleBatch)->Arg(100'000)->Arg(1'000'000);

}  // namespace
}  // namespace sharebench
