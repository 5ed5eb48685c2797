// shm-map: a mutable hash map in one named shared-memory segment (Boost.Interprocess).
//   Shared:  the segment: a slot array and entries allocated in it (shm_table.hpp), created
//            0600 under a per-run name by prepare(), opened by name by each worker.
//   Writes:  any worker: put() takes one slot's seqlock; add() is one atomic fetch_add on a
//            counter entry, so it is lock-free and never loses an update.
//   Readers: take no lock and write nothing shared; they retry if a writer touched the slot
//            during the read (seqlock), so reads scale with cores. Chosen over striped
//            reader-writer locks, whose reader count is a shared line every get writes.
//   Lookup:  a hash, a slot (fingerprint), the entry (key compare, value copy), a seq re-check.
#pragma once

#include <memory>
#include <span>

#include "strategies/strategy.hpp"

namespace sharebench {

std::unique_ptr<Strategy> make_shm_map_strategy(const StrategyOptions& options);
// --shm-size.
std::span<const OptionSpec> shm_map_options();

}  // namespace sharebench
