#include "strategies/registry.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "strategies/mmap_table/mmap_table.hpp"
#include "strategies/null/null_strategy.hpp"
#include "strategies/python/python_strategy.hpp"
#include "strategies/queue_passing/queue_passing.hpp"
#include "strategies/redis/redis.hpp"
#include "strategies/shm_map/shm_map.hpp"
#include "strategies/socket_manager/socket_manager.hpp"

namespace sharebench {

namespace {
constexpr OptionSpec py_manager_options[] = {kAddModeOption};
}  // namespace

std::span<const StrategyInfo> registered_strategies() {
  // A function's static, so it is built on first use, whichever static initializer asks.
  static const StrategyInfo strategies[] = {
      {"null", "does nothing; measures the harness itself", make_null_strategy},
      {"mmap-table",
       "immutable hash table built once and mapped by all workers; lock-free reads, no writes",
       make_mmap_table_strategy, mmap_table_options()},
      {"shm-map",
       "mutable hash map in a shared-memory segment; seqlock reads, locked puts, lock-free atomic adds",
       make_shm_map_strategy, shm_map_options()},
      {"socket-manager",
       "a server process owns the dict; every op is a request over ZeroMQ or a Unix socket (Manager().dict())",
       make_socket_manager_strategy, socket_manager_options(), serve_socket_manager},
      {"queue-passing",
       "workers send messages to one owner process through shared-memory queues; one-way puts, "
       "pipelined gets, atomic adds",
       make_queue_passing_strategy},
      {"redis", "a Redis server holds the dict (private on a Unix socket, or --redis-url); GET, SET, INCRBY",
       make_redis_strategy, redis_options()},
      // Python peers (strategies/python/peers/*.py) driven by the embedded interpreter.
      {"py-null", "a Python peer that does nothing; measures the C++-to-Python bridge",
       [](const StrategyOptions& o) { return make_python_strategy("py-null", "py_null", o); }},
      {"py-mmap-dict", "Python: an immutable hash table in an anonymous mmap built before fork; reads only",
       [](const StrategyOptions& o) { return make_python_strategy("py-mmap-dict", "py_mmap_dict", o); }},
      {"py-manager",
       "Python: multiprocessing.Manager().dict(); d[k] += 1 as people write it (not atomic; --add-mode atomic "
       "takes a Manager().Lock())",
       make_py_manager_strategy, py_manager_options},
      {"py-queue", "Python: multiprocessing.Queue to an owner process with a dict; one-way puts, atomic adds",
       [](const StrategyOptions& o) { return make_python_strategy("py-queue", "py_queue", o); }},
      {"py-value-array", "Python: counters in multiprocessing.Array('q') under its lock; counters only",
       [](const StrategyOptions& o) { return make_python_strategy("py-value-array", "py_value_array", o); }},
      {"py-lmdb", "Python: python3-lmdb in a private directory; MVCC reads, serialised write transactions",
       [](const StrategyOptions& o) { return make_python_strategy("py-lmdb", "py_lmdb", o); }},
      {"py-redis", "Python: python3-redis against a private redis-server on a Unix socket; GET, SET, INCRBY",
       [](const StrategyOptions& o) { return make_python_strategy("py-redis", "py_redis", o); }},
  };
  return strategies;
}

const StrategyInfo* find_strategy(std::string_view name) {
  if (const StrategyInfo* user = find_python_user_strategy(name)) return user;
  for (const StrategyInfo& info : registered_strategies()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

namespace {

bool same_spec(const OptionSpec& a, const OptionSpec& b) {
  return a.flag == b.flag && a.placeholder == b.placeholder && a.help == b.help && a.default_text == b.default_text &&
         a.json_name == b.json_name && a.parse == b.parse;
}

std::vector<RegisteredOption> collect_options() {
  std::vector<RegisteredOption> options;
  for (const StrategyInfo& info : registered_strategies()) {
    for (const OptionSpec& spec : info.options) {
      auto known = std::find_if(options.begin(), options.end(), [&](const RegisteredOption& o) {
        return o.spec->flag == spec.flag || o.spec->json_name == spec.json_name;
      });
      if (known == options.end()) {
        options.push_back({&spec, {&info}});
      } else if (same_spec(*known->spec, spec)) {
        known->owners.push_back(&info);
      } else {
        throw std::logic_error(std::string(known->owners.front()->name) + " and " + std::string(info.name) +
                               " declare " + std::string(spec.flag) + " (" + std::string(spec.json_name) +
                               ") differently");
      }
    }
  }
  return options;
}

}  // namespace

std::span<const RegisteredOption> registered_options() {
  static const std::vector<RegisteredOption> options = collect_options();
  return options;
}

}  // namespace sharebench
