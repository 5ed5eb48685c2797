#include "strategies/queue_passing/owner.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "common/hash_table.hpp"
#include "strategies/queue_passing/tuning.hpp"

namespace sharebench::queue_passing {
namespace {

using std::chrono::milliseconds;

// How long an idle owner sleeps before it looks again; nothing depends on it (a stop message
// wakes it, and a dead coordinator kills it through PR_SET_PDEATHSIG).
constexpr milliseconds kIdleWait{1000};
constexpr std::size_t kDrain = kOwnerDrain;
// How long the owner lets one-way messages gather before taking them (see gather()).
constexpr std::chrono::microseconds kGather{10};

class Owner {
 public:
  Owner(Queue& requests, Dictionary& dictionary, const OwnerSettings& settings, SharedState& shared)
      : requests_(requests),
        dictionary_(dictionary),
        settings_(settings),
        shared_(shared),
        message_size_(kHeaderSize + settings.payload_capacity),
        in_(kDrain * message_size_),
        out_(message_size_) {}

  void run() {
    for (;;) {
      if (!serve(receive_batch())) return;
    }
  }

 private:
  // Waits for one message, then takes whatever else is already queued, up to kDrain.
  std::size_t receive_batch() {
    if (!answered_last_batch_) gather();
    const auto first = [&] {
      return requests_.queued_hint() != 0 && requests_.try_receive(in_.data(), message_size_, received_[0]);
    };
    while (!wait_until(shared_.requests_ready, first, settings_.spin, Clock::now() + kIdleWait)) {
    }
    std::size_t n = 1;
    while (n < kDrain && requests_.queued_hint() != 0 &&
           requests_.try_receive(in_.data() + n * message_size_, message_size_, received_[n])) {
      ++n;
    }
    shared_.requests_taken.fetch_add(n, std::memory_order_relaxed);
    notify(shared_.requests_room);  // senders that found the queue full
    return n;
  }

  // Nobody is waiting for an answer (the last batch was all one-way puts): unless a full batch
  // is queued already, leave the queue alone for kGather, so that the senders keep its lock and
  // cache lines to themselves while a batch gathers, instead of handing them over for every
  // message. (A get arriving meanwhile waits those microseconds more.)
  void gather() {
    if (requests_.queued_hint() >= kDrain) return;
    const Clock::time_point until = Clock::now() + kGather;
    for (unsigned round = 1;; ++round) {
      pause_briefly(round);
      if (round % 8 == 0 && Clock::now() >= until) return;
    }
  }

  // Decodes a batch and applies it in order, its lookups overlapped (apply_prefetched); false
  // if it held the stop message (whatever was queued before it has been applied).
  bool serve(std::size_t n) {
    answered_last_batch_ = false;
    std::size_t before_stop = n;
    for (std::size_t i = 0; i < n && before_stop == n; ++i) {
      why_[i] = decode_request(in_.data() + i * message_size_, received_[i], settings_.payload_capacity, messages_[i]);
      if (why_[i] == Malformed::none && messages_[i].kind == MessageKind::stop) before_stop = i;
    }
    apply_prefetched(
        dictionary_, before_stop, [this](std::size_t i) { return messages_[i].key; },  // malformed: the empty key
        [this](std::size_t i, std::uint64_t hash) { apply(why_[i], messages_[i], hash); });
    return before_stop == n;
  }

  void apply(Malformed why, const Message& m, std::uint64_t hash) {
    if (why != Malformed::none) {
      shared_.malformed.fetch_add(1, std::memory_order_relaxed);
      // Tell the sender, if the header says who it is, so that it fails instead of waiting.
      if (why != Malformed::too_short && why != Malformed::bad_worker) {
        reply(m.worker, m.request_id, Status::malformed, {});
      }
      return;
    }
    switch (m.kind) {
      case MessageKind::put:
        dictionary_.put(m.key, hash, m.value);
        return;
      case MessageKind::get: {
        std::string_view value;
        const bool found = dictionary_.get(m.key, hash, value);
        reply(m.worker, m.request_id, found ? Status::ok : Status::absent, value);
        return;
      }
      case MessageKind::add: {
        std::int64_t delta = 0;
        std::memcpy(&delta, m.value.data(), sizeof delta);
        std::int64_t result = 0;
        if (!dictionary_.add(m.key, hash, delta, result)) {
          reply(m.worker, m.request_id, Status::not_a_counter, {});
          return;
        }
        char bytes[sizeof result];
        std::memcpy(bytes, &result, sizeof result);
        reply(m.worker, m.request_id, Status::ok, std::string_view(bytes, sizeof bytes));
        return;
      }
      case MessageKind::stop:   // serve() applies nothing from it on
      case MessageKind::reply:  // decode_request never returns it
        return;
    }
  }

  struct ReplyQueue {
    Queue queue;
    bool stalled = false;  // its last reply was dropped: try the next ones once, without waiting
    bool broken = false;   // a process died inside an operation on it: never touch it again
  };

  void reply(std::uint32_t worker, std::uint64_t request_id, Status status, std::string_view value) {
    answered_last_batch_ = true;
    ReplyQueue* r = reply_queue(worker);
    if (r == nullptr || r->broken || value.size() > settings_.payload_capacity) return drop();
    const std::size_t n = encode(out_.data(), MessageKind::reply, status, worker, request_id, {}, value);
    try {
      bool sent = r->queue.try_send(out_.data(), n);
      if (!sent && !r->stalled) {
        // Full: a live worker never has more requests in flight than its queue holds, so this
        // one is dead or stuck. Wait a little, then drop the reply and serve the others.
        const auto deadline = Clock::now() + settings_.reply_deadline;
        while (!sent && Clock::now() < deadline) {
          std::this_thread::sleep_for(std::chrono::microseconds(100));
          sent = r->queue.try_send(out_.data(), n);
        }
      }
      r->stalled = !sent;
      if (!sent) return drop();
    } catch (const Error&) {
      r->broken = true;
      return drop();
    }
    notify(shared_.replies_ready[worker]);
  }

  void drop() { shared_.replies_dropped.fetch_add(1, std::memory_order_relaxed); }

  // The worker's reply queue, opened the first time it is needed; null if it does not exist.
  ReplyQueue* reply_queue(std::uint32_t worker) {
    if (worker >= replies_.size()) replies_.resize(worker + 1);
    ReplyQueue& r = replies_[worker];
    if (!r.queue) {
      try {
        r.queue = Queue::open(reply_queue_name(settings_.object_prefix, static_cast<int>(worker)));
      } catch (const Error&) {
        return nullptr;
      }
    }
    return &r;
  }

  Queue& requests_;
  Dictionary& dictionary_;
  const OwnerSettings& settings_;
  SharedState& shared_;
  const std::size_t message_size_;
  std::vector<char> in_;  // kDrain messages
  std::vector<char> out_;
  std::size_t received_[kDrain] = {};
  Message messages_[kDrain];
  Malformed why_[kDrain] = {};
  std::vector<ReplyQueue> replies_;  // by worker id
  bool answered_last_batch_ = true;
};

}  // namespace

int run_owner(Queue& requests, Dictionary& dictionary, const OwnerSettings& settings, SharedState& shared) {
  try {
    Owner(requests, dictionary, settings, shared).run();
    return 0;
  } catch (const std::exception& e) {
    const std::size_t n = std::min(sizeof shared.owner_error - 1, std::strlen(e.what()));
    std::memcpy(shared.owner_error, e.what(), n);
    shared.owner_error[n] = '\0';
    throw;
  }
}

}  // namespace sharebench::queue_passing
