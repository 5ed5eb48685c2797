// null-values: what the harness costs around a get that returns data. Like `null` it shares
// nothing, but a get returns the key's preloaded value, so the harness copies it out and checks
// it as it does for every strategy that holds data.
//   Shared:  nothing; each worker reads the Dataset it inherited across fork (plain memory).
//   Writes:  unsupported.  Readers: the preloaded value of every key str(2i), nothing for others.
//   Lookup:  no data structure: the decimal key names its record's index (key 2i is record i).
#pragma once

#include <memory>

#include "strategies/strategy.hpp"

namespace sharebench {

std::unique_ptr<Strategy> make_null_values_strategy(const StrategyOptions& options);

}  // namespace sharebench
