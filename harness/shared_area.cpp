#include "harness/shared_area.hpp"

#include <new>

namespace sharebench {
namespace {

constexpr std::size_t align_up(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }

}  // namespace

SharedArea::SharedArea(int procs, std::uint64_t tracked_keys) : tracked_keys_(tracked_keys) {
  const auto n = static_cast<std::size_t>(procs);
  const std::size_t workers_at = align_up(sizeof(ControlBlock), 64);
  const std::size_t check_at = align_up(workers_at + n * sizeof(WorkerReport), 64);
  const std::size_t written_at = align_up(check_at + sizeof(CheckReport), 64);
  mapping_ = Mapping::shared_anonymous(written_at + n * tracked_keys * sizeof(std::uint64_t));
  char* base = mapping_.data();
  control_ = new (base) ControlBlock{};
  workers_ = reinterpret_cast<WorkerReport*>(base + workers_at);
  for (std::size_t w = 0; w < n; ++w) new (&workers_[w]) WorkerReport{};
  check_ = new (base + check_at) CheckReport{};
  last_written_ = reinterpret_cast<std::uint64_t*>(base + written_at);
}

void SharedArea::set_phase(Phase phase) {
  control_->phase.store(phase, std::memory_order_release);
  futex_wake_all(&control_->phase);
}

}  // namespace sharebench
