#include "strategies/strategy.hpp"

namespace sharebench {

bool Client::get(std::string_view key, std::string& value_out) {
  Op op;
  op.kind = OpKind::get;
  op.key = key;
  op.buffer.swap(value_out);  // the caller's capacity is reused
  execute(std::span<Op>(&op, 1));
  if (op.found) {  // result views the buffer's start (copy_result) or the strategy's memory
    if (op.result.data() == op.buffer.data()) op.buffer.resize(op.result.size());
    else op.buffer.assign(op.result);
  } else {
    op.buffer.clear();  // a strategy may have used it as scratch
  }
  value_out.swap(op.buffer);
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
