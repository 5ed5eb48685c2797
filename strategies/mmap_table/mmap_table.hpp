// mmap-table: an immutable hash table, built once, mapped by every worker.
//   Shared:  one table image (table_format.hpp) in a MAP_SHARED mapping created before fork:
//            anonymous memory, or a file with --table-file that later runs map without rebuilding.
//   Writes:  none after prepare(); the mapping is read-only, so put and add are unsupported.
//   Readers: see the same bytes forever and take no lock, no atomic, no system call.
//   Lookup:  one hash, one slot load (a fingerprint filters misses), one key compare on a hit.
#pragma once

#include <memory>
#include <span>

#include "strategies/strategy.hpp"

namespace sharebench {

std::unique_ptr<Strategy> make_mmap_table_strategy(const StrategyOptions& options);
// --table-file.
std::span<const OptionSpec> mmap_table_options();

}  // namespace sharebench
