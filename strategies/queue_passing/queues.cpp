#include "strategies/queue_passing/queues.hpp"

#include <linux/futex.h>
#include <pthread.h>
#include <unistd.h>

#include <boost/interprocess/permissions.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <boost/version.hpp>

#include <utility>

#include "common/cpu.hpp"
#include "common/error.hpp"

namespace sharebench::queue_passing {
namespace {

// Queue reads two things in Boost's queue header (ipcdetail::mq_hdr_t, whose members are
// public) through a second mapping of the queue: the message count, as a polling hint, and the
// lock, to make it robust. It checks that header against the queue's own accessors and
// refuses a layout it does not recognise rather than read or write the wrong place.
//
// Why robust: Boost guards each queue with a process-shared pthread mutex that is not robust.
// A process killed while it holds it (inside any send or receive) leaves it locked, and every
// later send or receive, of every process, blocks forever in pthread_mutex_lock. Right after
// creating a queue, before any other process can know it, we re-initialise that mutex as
// robust and error-checking. A later lock then returns EOWNERDEAD (or EDEADLK) and Boost
// throws lock_exception, which Queue turns into an Error: the cell fails, nothing hangs.
using QueueHeader = bip::ipcdetail::mq_hdr_t<bip::offset_ptr<void>>;
using QueueSegment = bip::ipcdetail::managed_open_or_create_impl<bip::shared_memory_object, 0, true, false>;
static_assert(sizeof(bip::interprocess_mutex) == sizeof(pthread_mutex_t),
              "Boost.Interprocess must use POSIX process-shared mutexes here");
static_assert(sizeof(std::declval<QueueHeader&>().m_cur_num_msg) == sizeof(std::size_t));

pthread_mutex_t* lock_of(QueueHeader* header) { return reinterpret_cast<pthread_mutex_t*>(&header->m_mutex); }

void make_lock_robust(const std::string& name, QueueHeader* header) {
  pthread_mutex_t* mutex = lock_of(header);
  pthread_mutexattr_t attributes;
  ::pthread_mutexattr_init(&attributes);
  ::pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
  ::pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
  ::pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_ERRORCHECK);  // a relock fails, never deadlocks
  ::pthread_mutex_destroy(mutex);
  const int rc = ::pthread_mutex_init(mutex, &attributes);
  ::pthread_mutexattr_destroy(&attributes);
  if (rc != 0) throw_errno("queue-passing: pthread_mutex_init of queue '" + name + "'", rc);
}

// The thread id of the process holding a glibc mutex: 0 when it is free, and when its holder
// died (glibc then leaves FUTEX_OWNER_DIED without an id). Read without the lock, as a hint.
unsigned lock_holder(const pthread_mutex_t* lock) {
  return static_cast<unsigned>(__atomic_load_n(&lock->__data.__lock, __ATOMIC_RELAXED)) & FUTEX_TID_MASK;
}

}  // namespace

Queue Queue::create(const std::string& name, std::size_t depth, std::size_t message_size, bool robust_lock) {
  Queue q;
  bip::permissions owner_only;
  owner_only.set_permissions(0600);
  try {
    q.queue_ = std::make_unique<bip::message_queue>(bip::create_only, name.c_str(), depth, message_size, owner_only);
  } catch (const bip::interprocess_exception& e) {
    throw Error("queue-passing: cannot create queue '" + name + "' (" + std::to_string(depth) + " messages of " +
                std::to_string(message_size) + " bytes): " + e.what());
  }
  q.name_ = name;
  q.owns_name_ = true;  // from here on, q's destructor removes it whatever happens
  q.map_header(robust_lock);
  return q;
}

Queue Queue::open(const std::string& name) {
  Queue q;
  try {
    q.queue_ = std::make_unique<bip::message_queue>(bip::open_only, name.c_str());
  } catch (const bip::interprocess_exception& e) {
    throw Error("queue-passing: cannot open queue '" + name + "': " + e.what());
  }
  q.name_ = name;
  q.map_header(false);
  return q;
}

void Queue::map_header(bool robust_lock) {
  QueueHeader* header = nullptr;
  try {
    bip::shared_memory_object object(bip::open_only, name_.c_str(), bip::read_write);
    header_region_ = std::make_unique<bip::mapped_region>(object, bip::read_write);
    header = reinterpret_cast<QueueHeader*>(static_cast<char*>(header_region_->get_address()) +
                                            QueueSegment::ManagedOpenOrCreateUserOffset);
  } catch (const bip::interprocess_exception& e) {
    throw Error("queue-passing: cannot map the header of queue '" + name_ + "': " + e.what());
  }
  if (header_region_->get_size() < QueueSegment::ManagedOpenOrCreateUserOffset + sizeof(QueueHeader) ||
      header->m_max_num_msg != queue_->get_max_msg() || header->m_max_msg_size != queue_->get_max_msg_size()) {
    throw Error("queue-passing: Boost " BOOST_LIB_VERSION "'s message_queue header is not laid out as expected");
  }
  queued_ = &header->m_cur_num_msg;
  lock_ = lock_of(header);
  if (robust_lock) make_lock_robust(name_, header);
}

Queue::Queue(Queue&& other) noexcept
    : name_(std::move(other.name_)),
      queue_(std::move(other.queue_)),
      owns_name_(std::exchange(other.owns_name_, false)),
      header_region_(std::move(other.header_region_)),
      queued_(std::exchange(other.queued_, nullptr)),
      lock_(std::exchange(other.lock_, nullptr)) {
  other.name_.clear();
}

Queue& Queue::operator=(Queue&& other) noexcept {
  if (this != &other) {
    reset();
    name_ = std::move(other.name_);
    queue_ = std::move(other.queue_);
    owns_name_ = std::exchange(other.owns_name_, false);
    header_region_ = std::move(other.header_region_);
    queued_ = std::exchange(other.queued_, nullptr);
    lock_ = std::exchange(other.lock_, nullptr);
    other.name_.clear();
  }
  return *this;
}

// Boost takes the queue's lock with pthread_mutex_lock, which puts the caller to sleep in the
// kernel whenever another process holds it, even for the 100 ns of a send: a wake-up costs
// microseconds. Waiting for the holder to let go, briefly and in user space, is much cheaper.
void Queue::let_lock_go() const {
  for (int i = 0; i < 256 && lock_holder(lock_) != 0; ++i) cpu_relax();
}

bool Queue::try_send(const void* data, std::size_t size) {
  let_lock_go();
  try {
    return queue_->try_send(data, size, 0);
  } catch (const bip::interprocess_exception& e) {
    broken("send to", e);
  }
}

bool Queue::try_receive(void* buffer, std::size_t capacity, std::size_t& received) {
  unsigned int priority = 0;
  let_lock_go();
  try {
    return queue_->try_receive(buffer, capacity, received, priority);
  } catch (const bip::interprocess_exception& e) {
    broken("receive from", e);
  }
}

void Queue::broken(const char* operation, const std::exception& e) const {
  if (dynamic_cast<const bip::lock_exception*>(&e) != nullptr) {
    // Either the lock returned EOWNERDEAD (its holder died) and Boost threw with the lock held
    // by us, in an inconsistent state; or it is already unrecoverable (ENOTRECOVERABLE) and
    // nobody holds it. In the first case, unlocking it without pthread_mutex_consistent() makes
    // it unrecoverable: every later lock of this queue, in any process, fails at once instead
    // of trusting what the dead process half wrote; and it takes the lock off this thread's
    // robust list before the queue is unmapped. Boost does not say which case it was, so ask
    // the lock (glibc keeps the holder's thread id in __lock).
    if (lock_ != nullptr && lock_holder(lock_) == static_cast<unsigned>(::gettid())) ::pthread_mutex_unlock(lock_);
    throw Error(std::string("queue-passing: cannot ") + operation + " queue '" + name_ +
                "': a process died inside an operation on it, so its contents cannot be trusted");
  }
  throw Error(std::string("queue-passing: cannot ") + operation + " queue '" + name_ + "': " + e.what());
}

void Queue::reset() noexcept {
  queued_ = nullptr;
  lock_ = nullptr;
  header_region_.reset();
  queue_.reset();
  if (owns_name_) bip::message_queue::remove(name_.c_str());
  owns_name_ = false;
  name_.clear();
}

std::uint64_t queue_bytes(const std::string& name) noexcept {
  try {
    bip::shared_memory_object shm(bip::open_only, name.c_str(), bip::read_only);
    bip::offset_t size = 0;
    return shm.get_size(size) && size > 0 ? static_cast<std::uint64_t>(size) : 0;
  } catch (...) {
    return 0;
  }
}

}  // namespace sharebench::queue_passing
