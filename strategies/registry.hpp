// Strategy name -> factory. Listed explicitly in registry.cpp (static self-registration can be
// dropped by the linker); the harness names no concrete strategy anywhere else.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "strategies/strategy.hpp"

namespace sharebench {

struct StrategyInfo {
  std::string_view name;
  std::string_view semantics;  // one line for `sharebench --list`
  std::unique_ptr<Strategy> (*make)(const StrategyOptions&);
};

std::span<const StrategyInfo> registered_strategies();
const StrategyInfo* find_strategy(std::string_view name);  // nullptr if unknown

// `sharebench serve`: socket-manager's server, standalone, for workers on other hosts
// (`--connect`). Runs until SIGINT/SIGTERM; returns the exit status.
int serve_dictionary(const Dataset& dataset, const StrategyOptions& options);

}  // namespace sharebench
