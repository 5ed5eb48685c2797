#include "strategies/null/null_strategy.hpp"

namespace sharebench {
namespace {

class NullClient final : public Client {
 public:
  void execute(std::span<Op> ops) override {
    for (Op& op : ops) op.found = false;
  }
};

class NullStrategy final : public Strategy {
 public:
  Capabilities capabilities() const override {
    return {.holds_data = false, .put = true, .add = true, .atomic_add = false};
  }
  void prepare(const Dataset&) override {}
  std::unique_ptr<Client> connect(int) override { return std::make_unique<NullClient>(); }
  void teardown() noexcept override {}
};

}  // namespace

std::unique_ptr<Strategy> make_null_strategy(const StrategyOptions&) {
  return std::make_unique<NullStrategy>();
}

}  // namespace sharebench
