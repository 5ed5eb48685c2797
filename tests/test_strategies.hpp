// Strategies for tests: wrappers that inject a fault into a real strategy.
#pragma once

#include <signal.h>

#include <memory>

#include "strategies/registry.hpp"

namespace sharebench::testing {

// Forwards everything to the wrapped strategy's client.
class ForwardingClient : public Client {
 public:
  explicit ForwardingClient(std::unique_ptr<Client> inner) : inner_(std::move(inner)) {}
  bool get(std::string_view k, std::string& v) override { return inner_->get(k, v); }
  void put(std::string_view k, std::string_view v) override { inner_->put(k, v); }
  std::int64_t add(std::string_view k, std::int64_t d) override { return inner_->add(k, d); }
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

// Worker 0 kills the strategy's helper process (its server) with SIGKILL after 50 batches.
class KillHelperMidRun final : public ForwardingStrategy {
 public:
  using ForwardingStrategy::ForwardingStrategy;
  void prepare(const Dataset& d) override {
    inner_->prepare(d);
    helper_ = inner_->helper_processes().at(0);
  }
  std::unique_ptr<Client> connect(int worker) override {
    struct Killer final : ForwardingClient {
      using ForwardingClient::ForwardingClient;
      pid_t target = 0;
      int batches = 0;
      void execute(std::span<Op> ops) override {
        if (target != 0 && ++batches == 50) ::kill(target, SIGKILL);
        inner_->execute(ops);
      }
    };
    auto c = std::make_unique<Killer>(inner_->connect(worker));
    c->target = worker == 0 ? helper_ : 0;
    return c;
  }

 private:
  pid_t helper_ = 0;
};

// Worker 1 kills itself with SIGKILL after 50 batches.
class KillWorkerOne final : public ForwardingStrategy {
 public:
  using ForwardingStrategy::ForwardingStrategy;
  std::unique_ptr<Client> connect(int worker) override {
    struct Killer final : ForwardingClient {
      using ForwardingClient::ForwardingClient;
      bool is_worker_one = false;
      int batches = 0;
      void execute(std::span<Op> ops) override {
        if (is_worker_one && ++batches == 50) ::raise(SIGKILL);
        inner_->execute(ops);
      }
    };
    auto c = std::make_unique<Killer>(inner_->connect(worker));
    c->is_worker_one = worker == 1;
    return c;
  }
};

}  // namespace sharebench::testing
