#include "strategies/registry.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "strategies/mmap_table/mmap_table.hpp"
#include "strategies/null/null_strategy.hpp"
#include "strategies/null/null_values.hpp"
#include "strategies/python/python_strategy.hpp"
#include "strategies/queue_passing/queue_passing.hpp"
#include "strategies/queue_passing/tuning.hpp"
#include "strategies/redis/redis.hpp"
#include "strategies/shm_map/shm_map.hpp"
#include "strategies/socket_manager/socket_manager.hpp"

namespace sharebench {

namespace {
constexpr OptionSpec py_manager_options[] = {kAddModeOption};

// ----- the mechanisms under each strategy (Floors) -----

Floors table_floors(const StrategyOptions&) { return {.get = Mechanism::table_lookup}; }
Floors shm_map_floors(const StrategyOptions&) {
  return {.get = Mechanism::table_lookup, .add = Mechanism::shared_atomic_add};
}
// multiprocessing.Array('q')'s adds take its lock, a POSIX semaphore (SemLock) in shared
// memory: that, not a lock-free fetch_add, is the OS mechanism under py-value-array.
Floors locked_counter_floors(const StrategyOptions&) { return {.add = Mechanism::locked_add}; }

// Every op one round trip on `transport`, up to --pipeline in flight; an add done as a get then
// a put (--add-mode rmw) is two, which no single floor describes.
Floors round_trip_floors(Mechanism transport, const StrategyOptions& o, bool atomic_add) {
  return {.get = transport,
          .put = transport,
          .add = atomic_add ? transport : Mechanism::none,
          .in_flight = static_cast<std::size_t>(o.number(kPipelineOption))};
}

Mechanism socket_manager_transport(const StrategyOptions& o) {
  const auto it = o.given.find("--transport");
  return it != o.given.end() && it->second == "uds" ? Mechanism::unix_socket_round_trip : Mechanism::zmq_round_trip;
}
Floors socket_manager_floors(const StrategyOptions& o) {
  return round_trip_floors(socket_manager_transport(o), o, o.text(kAddModeOption) == "atomic");
}

// One of socket-manager's transports fixed, whatever --transport says.
StrategyOptions with_transport(const StrategyOptions& o, const char* transport) {
  StrategyOptions fixed = o;
  fixed.given.insert_or_assign("--transport", transport);
  return fixed;
}

// Gets and adds are round trips through the owner, up to a reply queue's depth in flight; a
// put is one-way, a message no round-trip floor describes.
Floors queue_passing_floors(const StrategyOptions&) {
  return {.get = Mechanism::queue_round_trip, .add = Mechanism::queue_round_trip,
          .in_flight = queue_passing::kReplyDepth};
}

// A private redis-server on a Unix socket; a server --redis-url names may be anywhere: no floor.
Floors redis_floors(const StrategyOptions& o) {
  if (o.given.contains("--redis-url")) return {};
  return round_trip_floors(Mechanism::unix_socket_round_trip, o, true);
}

// A Manager's proxy talks to its server over a Unix socket; its add is a get and a put.
Floors py_manager_floors(const StrategyOptions& o) {
  Floors f = round_trip_floors(Mechanism::unix_socket_round_trip, o, false);
  f.in_flight = 1;  // a proxy waits for each reply
  return f;
}
Floors py_redis_floors(const StrategyOptions& o) {
  Floors f = round_trip_floors(Mechanism::unix_socket_round_trip, o, true);
  f.in_flight = 1;  // one command per round trip
  return f;
}
}  // namespace

std::span<const StrategyInfo> registered_strategies() {
  // A function's static, so it is built on first use, whichever static initializer asks.
  static const StrategyInfo strategies[] = {
      {"null", "does nothing; measures the harness itself", make_null_strategy},
      {"null-values",
       "returns each key's preloaded value without a data structure; measures the harness's whole cost "
       "around a checked get",
       make_null_values_strategy},
      {"mmap-table",
       "immutable hash table built once and mapped by all workers; lock-free reads, no writes",
       make_mmap_table_strategy, mmap_table_options(), nullptr, table_floors},
      {"shm-map",
       "mutable hash map in a shared-memory segment; seqlock reads, locked puts, lock-free atomic adds",
       make_shm_map_strategy, shm_map_options(), nullptr, shm_map_floors},
      {"socket-manager",
       "a server process owns the dict; every op is a request over ZeroMQ or a Unix socket (Manager().dict())",
       make_socket_manager_strategy, socket_manager_options(), serve_socket_manager, socket_manager_floors},
      {"socket-manager[zmq]", "socket-manager with --transport zmq (ZeroMQ DEALER/ROUTER on ipc://)",
       [](const StrategyOptions& o) { return make_socket_manager_strategy(with_transport(o, "zmq")); }, {}, nullptr,
       [](const StrategyOptions& o) { return socket_manager_floors(with_transport(o, "zmq")); }, "socket-manager"},
      {"socket-manager[uds]", "socket-manager with --transport uds (a Unix stream socket)",
       [](const StrategyOptions& o) { return make_socket_manager_strategy(with_transport(o, "uds")); }, {}, nullptr,
       [](const StrategyOptions& o) { return socket_manager_floors(with_transport(o, "uds")); }, "socket-manager"},
      {"queue-passing",
       "workers send messages to one owner process through shared-memory queues; one-way puts, "
       "pipelined gets, atomic adds",
       make_queue_passing_strategy, {}, nullptr, queue_passing_floors},
      {"redis", "a Redis server holds the dict (private on a Unix socket, or --redis-url); GET, SET, INCRBY",
       make_redis_strategy, redis_options(), nullptr, redis_floors},
      // Python peers (strategies/python/peers/*.py) driven by the embedded interpreter.
      {"py-null", "a Python peer that does nothing; measures the C++-to-Python bridge",
       [](const StrategyOptions& o) { return make_python_strategy("py-null", "py_null", o); }},
      {"py-mmap-dict", "Python: an immutable hash table in an anonymous mmap built before fork; reads only",
       [](const StrategyOptions& o) { return make_python_strategy("py-mmap-dict", "py_mmap_dict", o); }, {}, nullptr,
       table_floors},
      {"py-manager",
       "Python: multiprocessing.Manager().dict(); d[k] += 1 as people write it (not atomic; --add-mode atomic "
       "takes a Manager().Lock())",
       make_py_manager_strategy, py_manager_options, nullptr, py_manager_floors},
      {"py-queue", "Python: multiprocessing.Queue to an owner process with a dict; one-way puts, atomic adds",
       [](const StrategyOptions& o) { return make_python_strategy("py-queue", "py_queue", o); }},
      {"py-value-array", "Python: counters in multiprocessing.Array('q') under its lock; counters only",
       [](const StrategyOptions& o) { return make_python_strategy("py-value-array", "py_value_array", o); }, {},
       nullptr, locked_counter_floors},
      {"py-lmdb", "Python: python3-lmdb in a private directory; MVCC reads, serialised write transactions",
       [](const StrategyOptions& o) { return make_python_strategy("py-lmdb", "py_lmdb", o); }},
      {"py-redis", "Python: python3-redis against a private redis-server on a Unix socket; GET, SET, INCRBY",
       [](const StrategyOptions& o) { return make_python_strategy("py-redis", "py_redis", o); }, {}, nullptr,
       py_redis_floors},
  };
  return strategies;
}

std::vector<const StrategyInfo*> all_strategies() {
  const auto rows = registered_strategies();
  std::vector<const StrategyInfo*> all;
  for (const StrategyInfo& info : rows) {
    const bool has_variants = std::any_of(rows.begin(), rows.end(),
                                          [&](const StrategyInfo& other) { return other.variant_of == info.name; });
    if (!has_variants) all.push_back(&info);
  }
  return all;
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
