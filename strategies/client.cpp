#include "strategies/strategy.hpp"

namespace sharebench {

bool Client::get(std::string_view key, std::string& value_out) {
  Op op;
  op.kind = OpKind::get;
  op.key = key;
  op.result.swap(value_out);  // the caller's capacity is reused
  execute(std::span<Op>(&op, 1));
  value_out.swap(op.result);
  return op.found;
}

void Client::put(std::string_view key, std::string_view value) {
  Op op;
  op.kind = OpKind::put;
  op.key = key;
  op.value = value;
  execute(std::span<Op>(&op, 1));
}

std::int64_t Client::add(std::string_view key, std::int64_t delta) {
  Op op;
  op.kind = OpKind::add;
  op.key = key;
  op.delta = delta;
  execute(std::span<Op>(&op, 1));
  return op.counter;
}

}  // namespace sharebench
