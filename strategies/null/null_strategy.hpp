// null: shares nothing and does nothing, so a run against it measures the harness alone.
//   Shared:  nothing.  Writes: accepted and dropped.  Readers: every get() reports absent.
//   Lookup:  one virtual call per batch. Its per-op time is the floor under every strategy.
#pragma once

#include <memory>

#include "strategies/strategy.hpp"

namespace sharebench {

std::unique_ptr<Strategy> make_null_strategy(const StrategyOptions& options);

}  // namespace sharebench
