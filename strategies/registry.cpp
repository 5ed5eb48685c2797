#include "strategies/registry.hpp"

#include "strategies/mmap_table/mmap_table.hpp"
#include "strategies/null/null_strategy.hpp"
#include "strategies/queue_passing/queue_passing.hpp"
#include "strategies/redis/redis.hpp"
#include "strategies/shm_map/shm_map.hpp"
#include "strategies/socket_manager/socket_manager.hpp"

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
    {"socket-manager",
     "a server process owns the dict; every op is a request over ZeroMQ or a Unix socket (Manager().dict())",
     make_socket_manager_strategy},
    {"queue-passing",
     "workers send messages to one owner process through shared-memory queues; one-way puts, "
     "pipelined gets, atomic adds",
     make_queue_passing_strategy},
    {"redis", "a Redis server holds the dict (private on a Unix socket, or --redis-url); GET, SET, INCRBY",
     make_redis_strategy},
};

}  // namespace

std::span<const StrategyInfo> registered_strategies() { return kStrategies; }

int serve_dictionary(const Dataset& dataset, const StrategyOptions& options) {
  return serve_socket_manager(dataset, options);
}

const StrategyInfo* find_strategy(std::string_view name) {
  for (const StrategyInfo& info : kStrategies) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

}  // namespace sharebench
