#include "strategies/registry.hpp"

#include "strategies/mmap_table/mmap_table.hpp"
#include "strategies/null/null_strategy.hpp"
#include "strategies/python/python_strategy.hpp"
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
    // Python peers (strategies/python/peers/*.py) driven by the embedded interpreter.
    {"py-null", "a Python peer that does nothing; measures the C++-to-Python bridge",
     [](const StrategyOptions& o) { return make_python_strategy("py-null", "py_null", o); }},
    {"py-mmap-dict", "Python: an immutable hash table in an anonymous mmap built before fork; reads only",
     [](const StrategyOptions& o) { return make_python_strategy("py-mmap-dict", "py_mmap_dict", o); }},
    {"py-manager", "Python: multiprocessing.Manager().dict(); d[k] += 1 as people write it (not atomic)",
     [](const StrategyOptions& o) { return make_python_strategy("py-manager", "py_manager", o); }},
    {"py-queue", "Python: multiprocessing.Queue to an owner process with a dict; one-way puts, atomic adds",
     [](const StrategyOptions& o) { return make_python_strategy("py-queue", "py_queue", o); }},
    {"py-value-array", "Python: counters in multiprocessing.Array('q') under its lock; counters only",
     [](const StrategyOptions& o) { return make_python_strategy("py-value-array", "py_value_array", o); }},
    {"py-lmdb", "Python: python3-lmdb in a private directory; MVCC reads, serialised write transactions",
     [](const StrategyOptions& o) { return make_python_strategy("py-lmdb", "py_lmdb", o); }},
    {"py-redis", "Python: python3-redis against a private redis-server on a Unix socket; GET, SET, INCRBY",
     [](const StrategyOptions& o) { return make_python_strategy("py-redis", "py_redis", o); }},
};

}  // namespace

std::span<const StrategyInfo> registered_strategies() { return kStrategies; }

int serve_dictionary(const Dataset& dataset, const StrategyOptions& options) {
  return serve_socket_manager(dataset, options);
}

const StrategyInfo* find_strategy(std::string_view name) {
  if (const StrategyInfo* user = find_python_user_strategy(name)) return user;
  for (const StrategyInfo& info : kStrategies) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

}  // namespace sharebench
