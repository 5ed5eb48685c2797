#include "strategies/registry.hpp"

#include "strategies/mmap_table/mmap_table.hpp"
#include "strategies/null/null_strategy.hpp"
#include "strategies/queue_passing/queue_passing.hpp"
#include "strategies/shm_map/shm_map.hpp"

namespace sharebench {
namespace {

constexpr StrategyInfo kStrategies[] = {
    {"null", "does nothing; measures the harness itself", make_null_strategy},
    {"mmap-table",
     "immutable hash table built once and mapped by all workers; lock-free reads, no writes",
     make_mmap_table_strategy},
    {"shm-map",
     "mutable hash map in a shared-memory segment; seqlock reads, locked puts, lock-free atomic adds",
     make_shm_map_strategy},
    {"queue-passing",
     "workers send messages to one owner process through shared-memory queues; one-way puts, "
     "pipelined gets, atomic adds",
     make_queue_passing_strategy},
};

}  // namespace

std::span<const StrategyInfo> registered_strategies() { return kStrategies; }

const StrategyInfo* find_strategy(std::string_view name) {
  for (const StrategyInfo& info : kStrategies) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

}  // namespace sharebench
