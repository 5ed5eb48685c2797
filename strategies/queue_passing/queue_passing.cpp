#include "strategies/queue_passing/queue_passing.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/helper_process.hpp"
#include "common/os.hpp"
#include "strategies/queue_passing/message.hpp"
#include "strategies/queue_passing/owner.hpp"
#include "strategies/queue_passing/queues.hpp"
#include "strategies/queue_passing/tuning.hpp"

namespace sharebench {
namespace {

using namespace queue_passing;
using std::chrono::milliseconds;

std::string ms_text(milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

class QueuePassingClient final : public Client {
 public:
  QueuePassingClient(const std::string& prefix, int worker, std::size_t payload_capacity,
                     milliseconds op_timeout, SharedState& shared)
      : worker_(static_cast<std::uint32_t>(worker)),
        capacity_(payload_capacity),
        op_timeout_(op_timeout),
        shared_(shared),
        requests_(Queue::open(request_queue_name(prefix))),
        replies_(Queue::create(reply_queue_name(prefix, worker), kReplyDepth, kHeaderSize + payload_capacity)),
        out_(kHeaderSize + payload_capacity),
        in_(kHeaderSize + payload_capacity),
        pending_(kReplyDepth) {}

  // Sends every request of the batch in order (so a worker's puts and gets reach the owner in
  // the order it issued them), with at most kReplyDepth gets/adds awaiting their reply, and
  // collects the replies, matched to their operation by request id.
  void execute(std::span<Op> ops) override {
    outstanding_ = 0;  // a batch that threw is abandoned with the requests it left unanswered
    for (std::size_t i = 0; i < ops.size(); ++i) {
      Op& op = ops[i];
      switch (op.kind) {
        case OpKind::put:
          send(MessageKind::put, op.key, op.value);
          break;
        case OpKind::get:
          await(send(MessageKind::get, op.key, {}), i);
          break;
        case OpKind::add: {
          char delta[sizeof op.delta];
          std::memcpy(delta, &op.delta, sizeof delta);
          await(send(MessageKind::add, op.key, std::string_view(delta, sizeof delta)), i);
          break;
        }
      }
      if (outstanding_ == pending_.size()) complete_one(ops);
    }
    while (outstanding_ > 0) complete_one(ops);
  }

  std::size_t preferred_batch() const override { return kPreferredBatch; }

  Figures figures() const override {
    Figures f{{"queue_full_waits", queue_full_waits_}, {"reply_waits", reply_waits_}};
    if (worker_ == 0) {  // the owner's own counts, reported once per cell
      f.emplace_back("owner_malformed_requests", shared_.malformed.load(std::memory_order_relaxed));
      f.emplace_back("owner_dropped_replies", shared_.replies_dropped.load(std::memory_order_relaxed));
    }
    return f;
  }

 private:
  struct Pending {
    std::uint64_t request_id;
    std::size_t op;
  };

  // Sends one request and returns its id. A full request queue is a queue-full wait (counted):
  // the client polls, then sleeps until the owner makes room, and fails after --op-timeout.
  std::uint64_t send(MessageKind kind, std::string_view key, std::string_view value) {
    if (key.size() + value.size() > capacity_) {
      throw Error("queue-passing: a " + std::string(kind == MessageKind::put ? "put" : "request") + " of a " +
                  std::to_string(key.size()) + "-byte key and a " + std::to_string(value.size()) +
                  "-byte value does not fit a message (" + std::to_string(capacity_) +
                  " payload bytes, sized from the dataset's longest key and value)");
    }
    const std::uint64_t id = ++last_request_id_;
    const std::size_t n = encode(out_.data(), kind, Status::ok, worker_, id, key, value);
    if (!requests_.try_send(out_.data(), n)) {
      ++queue_full_waits_;
      // Try again only once the owner has taken another batch: polling the queue itself would
      // fight the owner for its lock and header line while it drains.
      std::uint64_t taken = shared_.requests_taken.load(std::memory_order_relaxed);
      const auto sent = [&] {
        const std::uint64_t now_taken = shared_.requests_taken.load(std::memory_order_relaxed);
        if (now_taken == taken) return false;
        taken = now_taken;
        return requests_.try_send(out_.data(), n);
      };
      if (!wait_until(shared_.requests_room, sent, kClientSpin, Clock::now() + op_timeout_)) {
        throw Error("queue-passing: the request queue stayed full for " + ms_text(op_timeout_) +
                    ": the owner stopped taking requests");
      }
    }
    notify(shared_.requests_ready);
    return id;
  }

  void await(std::uint64_t request_id, std::size_t op) {
    pending_[(head_ + outstanding_) % pending_.size()] = {request_id, op};
    ++outstanding_;
  }

  // Receives one reply and completes the operation it answers.
  void complete_one(std::span<Op> ops) {
    std::size_t received = 0;
    if (!replies_.try_receive(in_.data(), in_.size(), received)) {
      ++reply_waits_;
      const auto got = [&] { return replies_.queued_hint() != 0 && replies_.try_receive(in_.data(), in_.size(), received); };
      if (!wait_until(shared_.replies_ready[worker_], got, kClientSpin, Clock::now() + op_timeout_)) {
        throw Error("queue-passing: no reply from the owner within " + ms_text(op_timeout_));
      }
    }
    Message reply;
    if (Malformed why = decode_reply(in_.data(), received, capacity_, reply); why != Malformed::none) {
      throw Error(std::string("queue-passing: malformed reply from the owner: ") + describe(why));
    }
    Op& op = ops[take_pending(reply)];
    switch (reply.status) {
      case Status::ok:
        if (op.kind == OpKind::get) {
          op.found = true;
          op.copy_result({reply.value.data(), reply.value.size()});
        } else if (reply.value.size() == sizeof op.counter) {
          std::memcpy(&op.counter, reply.value.data(), sizeof op.counter);
        } else {
          throw Error("queue-passing: the owner answered an add with " + std::to_string(reply.value.size()) +
                      " bytes, not a counter");
        }
        return;
      case Status::absent:
        if (op.kind != OpKind::get) break;
        op.found = false;
        op.result = {};
        return;
      case Status::not_a_counter:
        throw Error("queue-passing: add on key '" + std::string(op.key) +
                    "', which holds a value that is not a counter");
      case Status::malformed:
        throw Error("queue-passing: the owner rejected request " + std::to_string(reply.request_id) +
                    " as malformed");
    }
    throw Error("queue-passing: the owner answered request " + std::to_string(reply.request_id) +
                " with a status that does not fit it");
  }

  // The operation a reply answers, found by its request id (replies come back in the order
  // the requests went out, so it is nearly always the oldest one waiting).
  std::size_t take_pending(const Message& reply) {
    const std::size_t n = pending_.size();
    for (std::size_t k = 0; k < outstanding_; ++k) {
      Pending& p = pending_[(head_ + k) % n];
      if (p.request_id != reply.request_id) continue;
      const std::size_t op = p.op;
      p = pending_[head_];  // the oldest takes this slot; order no longer matters once matched
      head_ = (head_ + 1) % n;
      --outstanding_;
      return op;
    }
    throw Error("queue-passing: the owner answered request " + std::to_string(reply.request_id) +
                (reply.status == Status::malformed ? ", which it found malformed," : "") +
                " but no operation is waiting for it");
  }

  const std::uint32_t worker_;
  const std::size_t capacity_;
  const milliseconds op_timeout_;
  SharedState& shared_;
  Queue requests_;
  Queue replies_;
  std::vector<char> out_, in_;
  std::vector<Pending> pending_;  // a ring: outstanding_ entries from head_
  std::size_t head_ = 0, outstanding_ = 0;
  std::uint64_t last_request_id_ = 0;
  std::uint64_t queue_full_waits_ = 0, reply_waits_ = 0;
};

class QueuePassingStrategy final : public Strategy {
 public:
  explicit QueuePassingStrategy(const StrategyOptions& options)
      : prefix_(options.object_prefix), op_timeout_(options.op_timeout) {}
  ~QueuePassingStrategy() override { teardown(); }

  // The payload capacity messages need for these sizes; throws Error if over kMaxPayload.
  static std::size_t check_fits(std::size_t max_key, std::size_t max_value) {
    const std::size_t capacity = payload_capacity_for(max_key, max_value);
    if (capacity > kMaxPayload) {
      throw Error("queue-passing: the dataset needs messages of " + std::to_string(capacity) +
                  " payload bytes (longest key " + std::to_string(max_key) + " + longest value " +
                  std::to_string(max_value) + "), over the " + std::to_string(kMaxPayload) +
                  " a queue message may carry; use a smaller --value-size");
    }
    return capacity;
  }

  Capabilities capabilities() const override {
    return {.holds_data = true, .put = true, .add = true, .atomic_add = true};
  }

  // A value that cannot fit a message is bad input: refused before the run, not mid-sweep.
  std::vector<std::string> check_options(std::span<const DatasetShape> datasets) const override {
    for (const DatasetShape& d : datasets) check_fits(d.max_key_size, d.max_value_size);
    return {};
  }

  void prepare(const Dataset& dataset) override {
    capacity_ = check_fits(dataset.max_key_size(), dataset.max_value_size());
    shared_area_ = Mapping::shared_anonymous(sizeof(SharedState));
    shared_ = new (shared_area_.data()) SharedState;
    const std::size_t message_size = kHeaderSize + capacity_;
    requests_ = Queue::create(request_queue_name(prefix_), request_depth_for(message_size), message_size);
    owner_settings_ = OwnerSettings{prefix_, capacity_, kReplyDeadline, kOwnerSpin};
    owner_ = HelperProcess::fork("queue-passing", "owner", kOwnerStartTimeout,
                                 [this, &dataset](HelperProcess::Child& child) {
                                   Dictionary dictionary(dataset);
                                   child.ready();
                                   return run_owner(requests_, dictionary, owner_settings_, *shared_);
                                 });
  }

  std::unique_ptr<Client> connect(int worker) override {
    if (!requests_ || shared_ == nullptr) throw Error("queue-passing: connect() before prepare()");
    if (worker < 0 || static_cast<std::uint32_t>(worker) >= kMaxWorkers) {
      throw Error("queue-passing: worker id " + std::to_string(worker) + " out of range");
    }
    // Recorded before the reply queue exists, so teardown() removes it even if this process
    // dies the moment after creating it.
    const auto wanted = static_cast<std::uint32_t>(worker) + 1;
    std::uint32_t seen = shared_->connected.load(std::memory_order_relaxed);
    while (seen < wanted && !shared_->connected.compare_exchange_weak(seen, wanted)) {
    }
    return std::make_unique<QueuePassingClient>(prefix_, worker, capacity_, op_timeout_, *shared_);
  }

  // Stop message, a deadline, then SIGKILL; then every queue name of the cell is removed.
  void teardown() noexcept override {
    owner_.stop(kStopGrace, [this] {
      char stop[kHeaderSize];
      const std::size_t n = encode(stop, MessageKind::stop, Status::ok, 0, 0, {}, {});
      const auto sent = [&] { return requests_.try_send(stop, n); };
      if (wait_until(shared_->requests_room, sent, kClientSpin, Clock::now() + kStopSendDeadline)) {
        notify(shared_->requests_ready);
      }
    });
    requests_.reset();
    if (shared_ != nullptr) {
      const std::uint32_t connected = shared_->connected.load();
      for (std::uint32_t w = 0; w < connected; ++w) {
        bip::message_queue::remove(reply_queue_name(prefix_, static_cast<int>(w)).c_str());
      }
    }
    shared_ = nullptr;
    shared_area_.reset();
  }

  std::uint64_t shared_bytes() const override {
    if (!requests_ || shared_ == nullptr) return 0;
    std::uint64_t bytes = shared_area_.size() + queue_bytes(requests_.name());
    const std::uint32_t connected = shared_->connected.load();
    for (std::uint32_t w = 0; w < connected; ++w) bytes += queue_bytes(reply_queue_name(prefix_, static_cast<int>(w)));
    return bytes;
  }

  std::vector<pid_t> helper_processes() const override {
    return owner_.running() ? std::vector<pid_t>{owner_.pid()} : std::vector<pid_t>{};
  }

  std::string helper_failure() override {
    std::string why = owner_.failure();
    if (!why.empty() && shared_ != nullptr && shared_->owner_error[0] != '\0') {
      why += " (" + std::string(shared_->owner_error) + ")";
    }
    return why;
  }

 private:
  const std::string prefix_;
  const milliseconds op_timeout_;
  std::size_t capacity_ = 0;
  Mapping shared_area_;
  SharedState* shared_ = nullptr;
  Queue requests_;
  OwnerSettings owner_settings_;
  HelperProcess owner_;
};

}  // namespace

std::unique_ptr<Strategy> make_queue_passing_strategy(const StrategyOptions& options) {
  return std::make_unique<QueuePassingStrategy>(options);
}

}  // namespace sharebench
