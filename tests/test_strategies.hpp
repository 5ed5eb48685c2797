// Strategies for tests: parameters that name every registered strategy, and wrappers that
// inject a fault into a real strategy.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strategies/registry.hpp"

namespace sharebench::testing {

// The names of the registered strategies whose capabilities `keep` accepts (all without one),
// variants (socket-manager[uds]) left out.
inline std::vector<std::string> strategy_names(bool (*keep)(const Capabilities&) = nullptr) {
  std::vector<std::string> names;
  for (const StrategyInfo& s : registered_strategies()) {
    if (!s.variant_of.empty()) continue;  // its base runs the same code
    if (keep == nullptr || keep(s.make(StrategyOptions{})->capabilities())) names.emplace_back(s.name);
  }
  return names;
}

// A strategy's name as a GoogleTest parameter name: "shm-map" -> "shm_map".
inline std::string parameter_name(const ::testing::TestParamInfo<std::string>& p) {
  std::string name = p.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

// Forwards everything to the wrapped strategy's client.
class ForwardingClient : public Client {
 public:
  explicit ForwardingClient(std::unique_ptr<Client> inner) : inner_(std::move(inner)) {}
  void execute(std::span<Op> ops) override { inner_->execute(ops); }
  std::size_t preferred_batch() const override { return inner_->preferred_batch(); }

 protected:
  std::unique_ptr<Client> inner_;
};

// Forwards everything to the wrapped strategy; subclasses decorate connect().
class ForwardingStrategy : public Strategy {
 public:
  ForwardingStrategy(const StrategyInfo& inner, const StrategyOptions& options) : inner_(inner.make(options)) {}
  Capabilities capabilities() const override { return inner_->capabilities(); }
  void prepare(const Dataset& d) override { inner_->prepare(d); }
  std::unique_ptr<Client> connect(int worker) override { return inner_->connect(worker); }
  void teardown() noexcept override { inner_->teardown(); }
  std::vector<pid_t> helper_processes() const override { return inner_->helper_processes(); }
  std::string helper_failure() override { return inner_->helper_failure(); }

 protected:
  std::unique_ptr<Strategy> inner_;
};

// Worker 0 kills the strategy's helper process (its server or owner) with SIGKILL at its
// `after_batches`-th batch and, if given `killed_at` (a word of MAP_SHARED memory), writes
// there when it did (steady_clock nanoseconds), so a test can time how fast the cell fails.
class KillHelperMidRun final : public ForwardingStrategy {
 public:
  KillHelperMidRun(const StrategyInfo& inner, const StrategyOptions& options, int after_batches = 50,
                   std::atomic<std::int64_t>* killed_at = nullptr)
      : ForwardingStrategy(inner, options), after_batches_(after_batches), killed_at_(killed_at) {}
  void prepare(const Dataset& d) override {
    inner_->prepare(d);
    helper_ = inner_->helper_processes().at(0);
  }
  std::unique_ptr<Client> connect(int worker) override {
    struct Killer final : ForwardingClient {
      using ForwardingClient::ForwardingClient;
      pid_t target = 0;
      int after_batches = 0;
      std::atomic<std::int64_t>* killed_at = nullptr;
      int batches = 0;
      void execute(std::span<Op> ops) override {
        if (target != 0 && ++batches == after_batches) {
          if (killed_at != nullptr) {
            killed_at->store(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count());
          }
          ::kill(target, SIGKILL);
        }
        inner_->execute(ops);
      }
    };
    auto c = std::make_unique<Killer>(inner_->connect(worker));
    c->target = worker == 0 ? helper_ : 0;
    c->after_batches = after_batches_;
    c->killed_at = killed_at_;
    return c;
  }

 private:
  const int after_batches_;
  std::atomic<std::int64_t>* const killed_at_;
  pid_t helper_ = 0;
};

// A registry row for `real` whose worker 0 kills its helper at its 20th batch. A row's factory
// is a plain function, so the strategy it wraps is handed over in a static: one such row at a
// time.
inline StrategyInfo killing_its_helper(const StrategyInfo& real) {
  static const StrategyInfo* inner = nullptr;
  inner = &real;
  return {"killing", "test", [](const StrategyOptions& o) -> std::unique_ptr<Strategy> {
            return std::make_unique<KillHelperMidRun>(*inner, o, 20);
          }};
}

// Worker 1 kills itself with SIGKILL at its `after_batches`-th batch.
class KillWorkerOne final : public ForwardingStrategy {
 public:
  KillWorkerOne(const StrategyInfo& inner, const StrategyOptions& options, int after_batches = 50)
      : ForwardingStrategy(inner, options), after_batches_(after_batches) {}
  std::unique_ptr<Client> connect(int worker) override {
    struct Killer final : ForwardingClient {
      using ForwardingClient::ForwardingClient;
      int after_batches = 0;  // 0: never
      int batches = 0;
      void execute(std::span<Op> ops) override {
        if (after_batches != 0 && ++batches == after_batches) ::raise(SIGKILL);
        inner_->execute(ops);
      }
    };
    auto c = std::make_unique<Killer>(inner_->connect(worker));
    c->after_batches = worker == 1 ? after_batches_ : 0;
    return c;
  }

 private:
  const int after_batches_;
};

}  // namespace sharebench::testing
