// The message queues of one queue-passing cell, and an RAII handle for them.
//
//   <prefix>-qp-req     all workers -> the owner; created by prepare() in the coordinator
//   <prefix>-qp-rep-W   the owner -> worker W; created by W's connect(), removed when that
//                       client ends, and in any case by teardown() (a killed worker leaves it)
//
// Boost.Interprocess keeps each queue in a POSIX shared-memory object (/dev/shm/<name>),
// created 0600 and create_only: a name that already exists is an error, never reused.
//
// Each queue's lock is made robust at creation (see queues.cpp): if a process dies inside a
// queue operation, the next one to take the lock gets an Error instead of blocking forever,
// and leaves the lock unrecoverable, so every later user of that queue fails the same way.
#pragma once

#include <boost/interprocess/ipc/message_queue.hpp>
#include <boost/interprocess/mapped_region.hpp>

#include <pthread.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace sharebench::queue_passing {

namespace bip = boost::interprocess;

inline std::string request_queue_name(const std::string& prefix) { return prefix + "-qp-req"; }
inline std::string reply_queue_name(const std::string& prefix, int worker) {
  return prefix + "-qp-rep-" + std::to_string(worker);
}

// A queue this process has mapped. Only non-blocking operations: see wakeup.hpp for why.
class Queue {
 public:
  Queue() = default;
  // Creates `name` with room for `depth` messages of up to `message_size` bytes, mode 0600,
  // with a robust lock (unless `robust_lock` is false: for measuring the queue as shipped); the
  // handle removes the name when reset or destroyed. Throws Error naming the queue if it
  // cannot (it exists, /dev/shm is full).
  static Queue create(const std::string& name, std::size_t depth, std::size_t message_size,
                      bool robust_lock = true);
  // Opens a queue another process created; throws Error naming it if it cannot.
  static Queue open(const std::string& name);

  Queue(Queue&& other) noexcept;
  Queue& operator=(Queue&& other) noexcept;
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;
  ~Queue() { reset(); }

  // False if the queue is full. Throws Error if the queue is broken (its lock's holder died).
  bool try_send(const void* data, std::size_t size);
  // False if the queue is empty; `buffer` holds at least max_message_size() bytes.
  bool try_receive(void* buffer, std::size_t capacity, std::size_t& received);

  // The number of messages queued a moment ago, read without the lock: a hint that lets a
  // polling process leave the lock alone while there is nothing to take (or no room). The
  // decision is always try_send/try_receive's, under the lock.
  std::size_t queued_hint() const { return __atomic_load_n(queued_, __ATOMIC_RELAXED); }

  explicit operator bool() const { return queue_ != nullptr; }
  const std::string& name() const { return name_; }
  std::size_t max_message_size() const { return queue_->get_max_msg_size(); }
  std::size_t depth() const { return queue_->get_max_msg(); }
  bip::message_queue& boost_queue() { return *queue_; }
  // The queue's lock itself, for tests that make a process die holding it.
  pthread_mutex_t* native_lock() const { return lock_; }
  // Unmaps the queue, and removes its name if this handle created it.
  void reset() noexcept;

 private:
  [[noreturn]] void broken(const char* operation, const std::exception& e) const;
  void let_lock_go() const;
  void map_header(bool robust_lock);

  std::string name_;
  std::unique_ptr<bip::message_queue> queue_;
  bool owns_name_ = false;
  std::unique_ptr<bip::mapped_region> header_region_;  // a second mapping, for the header
  std::size_t* queued_ = nullptr;                      // Boost's message count, in that header
  pthread_mutex_t* lock_ = nullptr;                    // Boost's lock, in that header
};

// Bytes of the shared-memory object behind a queue, or 0 if it does not exist.
std::uint64_t queue_bytes(const std::string& name) noexcept;

}  // namespace sharebench::queue_passing
