#include "strategies/null/null_values.hpp"

#include "common/error.hpp"

namespace sharebench {
namespace {

class NullValuesClient final : public Client {
 public:
  explicit NullValuesClient(const Dataset& dataset) : dataset_(dataset) {}

  void execute(std::span<Op> ops) override {
    for (Op& op : ops) {
      if (op.kind != OpKind::get) throw Error("null-values returns values only: put and add are not supported");
      // The harness's datasets hold key str(2i) at index i (workload.hpp); any other key is absent.
      // Its figure is the harness's cost, so it does as little as a correct answer allows:
      // decimal keys of at most 19 digits (no overflow) and a view of the dataset's value.
      const std::string_view key = op.key;
      std::uint64_t number = 0;
      bool digits = !key.empty() && key.size() <= 19 && (key[0] != '0' || key.size() == 1);
      for (const char c : key) {
        const auto d = static_cast<unsigned>(c - '0');
        digits &= d < 10;
        number = number * 10 + d;
      }
      const std::uint64_t index = number / 2;
      op.found = digits && number % 2 == 0 && index < dataset_.size();
      if (op.found) op.result = dataset_.value(index);
    }
  }

 private:
  const Dataset& dataset_;
};

class NullValuesStrategy final : public Strategy {
 public:
  Capabilities capabilities() const override { return {.holds_data = true}; }
  void prepare(const Dataset& dataset) override { dataset_ = &dataset; }
  std::unique_ptr<Client> connect(int) override {
    if (dataset_ == nullptr) throw Error("null-values: connect() before prepare()");
    return std::make_unique<NullValuesClient>(*dataset_);
  }
  void teardown() noexcept override { dataset_ = nullptr; }

 private:
  const Dataset* dataset_ = nullptr;
};

}  // namespace

std::unique_ptr<Strategy> make_null_values_strategy(const StrategyOptions&) {
  return std::make_unique<NullValuesStrategy>();
}

}  // namespace sharebench
