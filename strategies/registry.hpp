// Strategy name -> factory, options and hooks. Listed explicitly in registry.cpp (static
// self-registration can be dropped by the linker); the harness names no concrete strategy,
// and no strategy's option, anywhere else.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "strategies/strategy.hpp"

namespace sharebench {

struct StrategyInfo {
  std::string_view name;
  std::string_view semantics;  // one line for `sharebench --list` and its --help group
  std::unique_ptr<Strategy> (*make)(const StrategyOptions&);
  std::span<const OptionSpec> options = {};  // its own flags, declared beside its code
  // `sharebench serve`, for a strategy whose server can run alone for workers elsewhere:
  // checks the options, builds the dataset, serves it until SIGINT/SIGTERM, and returns the
  // exit status. nullptr for a strategy without one.
  int (*serve)(const StrategyOptions& options, const std::function<Dataset()>& build_dataset) = nullptr;
};

std::span<const StrategyInfo> registered_strategies();
const StrategyInfo* find_strategy(std::string_view name);  // nullptr if unknown

// One flag of the command line and the strategies that read it.
struct RegisteredOption {
  const OptionSpec* spec;
  std::vector<const StrategyInfo*> owners;  // in registry order; more than one for --pipeline
};

// Every strategy's options, each flag once, in registry order. A spec several strategies
// list is one option with one value; two different specs with one flag throw logic_error.
std::span<const RegisteredOption> registered_options();

}  // namespace sharebench
