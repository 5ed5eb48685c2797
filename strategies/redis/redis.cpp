#include "strategies/redis/redis.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <fstream>

#include "common/error.hpp"
#include "common/hash.hpp"
#include "common/helper_process.hpp"
#include "common/os.hpp"
#include "strategies/redis/connection.hpp"

namespace sharebench {
namespace {

using namespace redis;
using std::chrono::milliseconds;

constexpr milliseconds kServerStartTimeout{10'000};
constexpr milliseconds kServerStopGrace{2'000};
constexpr std::size_t kPreloadChunk = 10'000;  // commands per pipelined round trip

// The run's keys are "sb:<8 hex digits of the run's object prefix>:<key>": a shared server's
// other keys are never touched, and the prefix stays short (Redis hashes and stores it with
// every key).
std::string key_prefix(const std::string& object_prefix) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(hash64(object_prefix)));
  return std::string("sb:") + hex + ":";
}

class KeyNamer {
 public:
  explicit KeyNamer(const std::string& object_prefix) : name_(key_prefix(object_prefix)), base_(name_.size()) {}
  std::string_view operator()(std::string_view key) {
    name_.resize(base_);
    name_.append(key);
    return name_;
  }

 private:
  std::string name_;
  std::size_t base_;
};

std::int64_t integer_of(const Reply& reply) {
  if (reply->type != REDIS_REPLY_INTEGER) throw Error("redis: expected an integer reply");
  return reply->integer;
}

void check_status(const Reply& reply) {
  if (reply->type == REDIS_REPLY_ERROR) throw Error("redis: " + std::string(reply->str, reply->len));
}

class RedisClient final : public Client {
 public:
  RedisClient(Connection connection, const std::string& prefix, std::size_t pipeline)
      : connection_(std::move(connection)), keys_(prefix), pipeline_(pipeline) {}

  // Up to `pipeline` commands per round trip; Redis answers them in order.
  void execute(std::span<Op> ops) override {
    for (std::size_t base = 0; base < ops.size(); base += pipeline_) {
      const std::size_t n = std::min(pipeline_, ops.size() - base);
      for (std::size_t i = 0; i < n; ++i) {
        const Op& op = ops[base + i];
        switch (op.kind) {
          case OpKind::get:
            connection_.append({"GET", keys_(op.key)});
            break;
          case OpKind::put:
            connection_.append({"SET", keys_(op.key), op.value});
            break;
          case OpKind::add:
            connection_.append({"INCRBY", keys_(op.key), decimal(op.delta)});
            break;
        }
      }
      for (std::size_t i = 0; i < n; ++i) {
        Op& op = ops[base + i];
        const Reply reply = connection_.next_reply();
        check_status(reply);
        if (op.kind == OpKind::get) {
          op.found = reply->type != REDIS_REPLY_NIL;
          if (op.found) op.copy_result({reply->str, reply->len});
        } else if (op.kind == OpKind::add) {
          op.counter = integer_of(reply);
        }
      }
    }
  }
  std::size_t preferred_batch() const override { return pipeline_; }

 private:
  std::string_view decimal(std::int64_t v) {
    const auto [end, ec] = std::to_chars(number_, number_ + sizeof number_, v);
    return {number_, static_cast<std::size_t>(end - number_)};
  }

  Connection connection_;
  KeyNamer keys_;
  std::size_t pipeline_;
  char number_[24];
};

// The path of `program` on PATH, or "".
std::string find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string candidate = dirs.substr(start, end - start) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

constexpr OptionSpec kRedisUrl{"--redis-url", "URL",
                               "use this server (redis://HOST:PORT, unix:///PATH) instead of starting a private one; "
                               "only the run's own keys are written and deleted",
                               "", "redis_url", any_text};
constexpr OptionSpec kOptions[] = {kRedisUrl, kPipelineOption};

// redis's options, read once at construction.
struct Settings {
  explicit Settings(const StrategyOptions& o)
      : redis_url(o.text(kRedisUrl)),
        pipeline(o.number(kPipelineOption)),
        object_prefix(o.object_prefix),
        op_timeout(o.op_timeout) {}
  std::string redis_url;
  std::size_t pipeline;
  std::string object_prefix;
  milliseconds op_timeout;
};

class RedisStrategy final : public Strategy {
 public:
  explicit RedisStrategy(const StrategyOptions& o) : options_(o) {}
  ~RedisStrategy() override { teardown(); }

  Capabilities capabilities() const override {
    return {.holds_data = true, .put = true, .add = true, .atomic_add = true};
  }

  std::vector<std::string> check_options(std::span<const DatasetShape>) const override {
    if (!options_.redis_url.empty()) parse_redis_url(options_.redis_url);
    return {};
  }

  void prepare(const Dataset& dataset) override {
    if (options_.redis_url.empty()) {
      start_private_server();
    } else {
      address_ = parse_redis_url(options_.redis_url);
    }
    // The coordinator's connection is closed before returning: it must not cross a fork.
    Connection connection(address_, options_.op_timeout);
    preload(connection, dataset);
    wrote_keys_ = true;
  }

  std::unique_ptr<Client> connect(int) override {
    return std::make_unique<RedisClient>(Connection(address_, options_.op_timeout), options_.object_prefix,
                                         options_.pipeline);
  }

  void teardown() noexcept override {
    if (wrote_keys_ && !options_.redis_url.empty()) {  // a shared server: only this run's keys go
      try {
        delete_run_keys();
      } catch (const std::exception&) {  // the server is gone: nothing is left to delete
      }
    }
    wrote_keys_ = false;
    server_.stop(kServerStopGrace, [this] {
      Connection connection(address_, milliseconds(1000));
      connection.append({"SHUTDOWN", "NOSAVE"});
      try {
        connection.next_reply();  // the server closes the connection: that is the answer
      } catch (const Error&) {
      }
    });
    dir_.reset();
  }

  std::vector<pid_t> helper_processes() const override {
    return server_.running() ? std::vector<pid_t>{server_.pid()} : std::vector<pid_t>{};
  }

  std::string helper_failure() override { return server_.failure(); }

 private:
  void start_private_server() {
    const std::string binary = find_on_path("redis-server");
    if (binary.empty()) throw Unavailable("redis-server is not installed (Debian package redis-server)");
    dir_ = PrivateDir(options_.object_prefix);
    address_.path = dir_.path() + "/redis.sock";
    address_.text = "unix://" + address_.path;
    const std::vector<std::string> args = {binary,         "--port",          "0",
                                           "--unixsocket", address_.path,     "--unixsocketperm",
                                           "700",          "--save",          "",
                                           "--appendonly", "no",              "--dir",
                                           dir_.path(),    "--logfile",       dir_.path() + "/redis.log",
                                           "--daemonize",  "no"};
    try {
      server_ = HelperProcess::exec("redis", "redis-server", args, kServerStartTimeout, [this] {
        try {
          Connection(address_, milliseconds(200)).command({"PING"});
          return true;
        } catch (const Error&) {
          return false;
        }
      });
    } catch (const Error& e) {
      std::ifstream log(dir_.path() + "/redis.log");  // redis-server says why in its last line
      std::string line, last;
      while (std::getline(log, line)) last = line;
      throw Error(e.what() + (last.empty() ? "" : ": " + last));
    }
  }

  void preload(Connection& connection, const Dataset& dataset) {
    KeyNamer keys(options_.object_prefix);
    std::size_t queued = 0;
    auto drain = [&] {
      for (; queued > 0; --queued) check_status(connection.next_reply());
    };
    for (std::size_t i = 0; i < dataset.size(); ++i) {
      connection.append({"SET", keys(dataset.key(i)), dataset.value(i)});
      if (++queued == kPreloadChunk) drain();
    }
    for (const std::string& counter : dataset.counters()) {
      connection.append({"SET", keys(counter), "0"});
      ++queued;
    }
    drain();
  }

  // A shared server: delete this run's keys, and only those.
  void delete_run_keys() {
    Connection connection(address_, options_.op_timeout);
    const std::string pattern = key_prefix(options_.object_prefix) + "*";
    std::string cursor = "0";
    do {
      const Reply page = connection.command({"SCAN", cursor, "MATCH", pattern, "COUNT", "10000"});
      cursor.assign(page->element[0]->str, page->element[0]->len);
      const redisReply* found = page->element[1];
      for (std::size_t i = 0; i < found->elements; ++i) {
        connection.append({"UNLINK", {found->element[i]->str, found->element[i]->len}});
      }
      for (std::size_t i = 0; i < found->elements; ++i) check_status(connection.next_reply());
    } while (cursor != "0");
  }

  Settings options_;
  Address address_;
  PrivateDir dir_;
  HelperProcess server_;
  bool wrote_keys_ = false;
};

}  // namespace

std::unique_ptr<Strategy> make_redis_strategy(const StrategyOptions& options) {
  return std::make_unique<RedisStrategy>(options);
}

std::span<const OptionSpec> redis_options() { return kOptions; }

}  // namespace sharebench
