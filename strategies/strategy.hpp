// The one extension point of sharebench: a way for N processes to share a dictionary.
//
// Lifecycle, for every cell of a run (strategy x workload x procs x repetition):
//
//   coordinator process                         each of N worker processes (forked)
//   ---------------------------------------     ------------------------------------------
//   s = make_strategy(name, options)
//   s->prepare(dataset)      before any fork:
//       build tables, create shared memory,
//       start server/owner processes
//                            fork N workers ->  c = s->connect(worker)   after fork
//                                               c->execute(batch)        the measured loop
//                                               c.reset(); _exit()       never returns
//                            reap workers
//                            (optionally fork one checker process that connects as worker N
//                             and reads the final state back through a Client)
//   s->teardown()            removes every OS object prepare() created; also after a failure
//
// What must never cross a fork: a ZeroMQ context or socket, a hiredis connection, a thread.
// prepare() may create them only inside a child process it starts itself (a server); the
// coordinator's own address space keeps nothing but plain memory mappings, names and pids.
// A Client is used by one process, from one thread, and is never copied into another.
//
// Errors are exceptions derived from std::exception whose what() is one line a user can act
// on. Thrown by prepare() or teardown() they fail the cell; thrown by a Client in a worker,
// the runner records them and fails the cell; nothing is retried silently.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "strategies/dataset.hpp"
#include "strategies/option.hpp"

namespace sharebench {

// Thrown by prepare() when something the strategy needs is not on this machine (a server
// binary): the runner reports the cell `skipped` with the message, not `failed`.
class Unavailable : public Error {
 public:
  using Error::Error;
};

// What a strategy supports; the runner skips (with the reason) workloads that need more.
struct Capabilities {
  bool holds_data = true;  // false only for `null`: reads return nothing and are not checked
  bool put = false;
  bool add = false;
  bool atomic_add = false;  // concurrent add()s never lose an update
};

enum class OpKind : std::uint8_t { get, put, add };

// One operation of a batch. The runner fills the inputs; execute() fills the outputs.
// What every get reads or writes comes first, in one cache line (a batch is touched op by op).
struct Op {
  OpKind kind = OpKind::get;
  bool found = false;  // get: whether the key was present
  std::string_view key;
  // get: the value read, valid until this client's next execute(): a view of memory the
  // strategy keeps unchanged that long (mmap-table's image), so that nothing is copied, or of
  // `buffer` (copy_result) when the bytes must be copied out.
  std::string_view result;
  std::string_view value;  // put: the bytes to store
  std::int64_t delta = 0;  // add
  std::int64_t counter = 0;  // add: the value after the add
  std::string buffer;      // get: a copying strategy's copy (its capacity is reused batch after batch)

  void copy_result(std::string_view bytes) {
    buffer.assign(bytes);
    result = buffer;
  }
};

// One per worker process, created by Strategy::connect() after fork.
class Client {
 public:
  virtual ~Client() = default;

  // The one data path: runs a batch of operations in order and returns when every one has
  // completed, its outputs filled. A strategy overlaps them as it can (prefetching,
  // pipelining). The runner calls it, so its virtual call is paid once per batch, not once
  // per operation. Throws if the strategy cannot do an operation (a put on an immutable
  // table, a full segment).
  virtual void execute(std::span<Op> ops) = 0;
  // The batch size this client works best with (its pipeline depth, say). The runner uses it
  // unless the user forces --batch.
  virtual std::size_t preferred_batch() const { return 1; }
  // The worker is about to wait (for the coordinator's next phase, or for an open-loop
  // batch's due time), outside execute(): a client holding what other threads of its process
  // need lets go of it until its next execute() (PythonClient: the GIL, which a peer's
  // thread may need to release a lock other processes wait for).
  virtual void pause() {}

  // Conveniences, each a batch of one through execute(), for the final-state checker and tests.
  // Copies the value of `key` into value_out and returns true, or returns false if absent.
  bool get(std::string_view key, std::string& value_out);
  // Inserts or overwrites.
  void put(std::string_view key, std::string_view value);
  // Adds delta to the signed 64-bit counter at key and returns the new value. A counter is a
  // key created by Dataset::add_counter(); its stored representation is the strategy's own.
  std::int64_t add(std::string_view key, std::int64_t delta);

  // Counts this client kept that tell how the strategy behaved (queue-full waits, read
  // retries), read once after the window; the runner sums them over workers and reports
  // them as the cell's `strategy_figures`. At most kMaxFigures, names under 32 bytes.
  static constexpr std::size_t kMaxFigures = 8;
  using Figures = std::vector<std::pair<std::string, std::uint64_t>>;
  virtual Figures figures() const { return {}; }
};

// The size of a dataset, known before it is built.
struct DatasetShape {
  std::string workload;
  std::uint64_t keys = 0;
  std::uint64_t payload_bytes = 0;  // all keys and values
  std::size_t max_key_size = 0;  // over keys and counters
  std::size_t max_value_size = 0;  // over preloaded and put values
  std::uint64_t counters = 0;
};

// What the command line hands a strategy's factory: the run-wide settings every strategy
// obeys, and the text of each strategy option the user gave. A strategy reads its own
// options through their specs (option.hpp), so a value it reads is always a checked one.
struct StrategyOptions {
  // Every named OS object (segment, queue, socket directory) starts with this prefix, which
  // carries "sharebench", the run id and the coordinator pid; unique per run and unguessable.
  std::string object_prefix = "sharebench";
  std::chrono::milliseconds op_timeout{2000};  // request/reply strategies: a reply's deadline

  std::map<std::string, std::string, std::less<>> given;  // flag -> text: "--pipeline" -> "16"

  // The given text parsed by the spec, or its default; throws Error if the text is bad.
  OptionValue value(const OptionSpec& spec) const {
    const auto it = given.find(spec.flag);
    return spec.parse(spec.flag, it == given.end() ? spec.default_text : std::string_view(it->second));
  }
  std::string text(const OptionSpec& spec) const { return std::get<std::string>(value(spec)); }
  std::uint64_t number(const OptionSpec& spec) const { return std::get<std::uint64_t>(value(spec)); }
};

// Lives in the coordinator and owns every shared resource of one cell.
class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual Capabilities capabilities() const = 0;
  // Once, before the run starts, with the shape of every dataset the run will hand
  // prepare(): throws Error if the options cannot work (a corrupt table file, a segment too
  // small for the data), so bad input is refused before anything runs; returns warnings
  // about options that work but deserve one (no authentication).
  virtual std::vector<std::string> check_options(std::span<const DatasetShape> datasets) const {
    (void)datasets;
    return {};
  }
  // In the coordinator, before fork: build, create, preload, start helper processes (a
  // HelperProcess, common/helper_process.hpp: ready before this returns, reaped by teardown).
  virtual void prepare(const Dataset& dataset) = 0;
  // In a worker, after fork. `worker` is 0..N-1 (N for the final checker).
  virtual std::unique_ptr<Client> connect(int worker) = 0;
  // Removes every OS object prepare() created and reaps its processes. Idempotent; safe after
  // a prepare() that threw halfway.
  virtual void teardown() noexcept = 0;

  // Bytes of shared memory (mappings, segments, queues) the strategy holds; 0 if none.
  virtual std::uint64_t shared_bytes() const { return 0; }
  // Processes prepare() started (servers, owners), so the runner can report their memory.
  virtual std::vector<pid_t> helper_processes() const { return {}; }
  // If a process prepare() started has died, how ("server exited: killed by signal 9
  // (SIGKILL)"), else "". The runner puts it in front of a failed cell's reason, since a
  // worker only sees that its replies stopped.
  virtual std::string helper_failure() { return ""; }
};

}  // namespace sharebench
