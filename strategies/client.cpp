#include "strategies/strategy.hpp"

namespace sharebench {

void Client::execute(std::span<Op> ops) {
  for (Op& op : ops) {
    switch (op.kind) {
      case OpKind::get:
        op.found = get(op.key, op.result);
        break;
      case OpKind::put:
        put(op.key, op.value);
        break;
      case OpKind::add:
        op.counter = add(op.key, op.delta);
        break;
    }
  }
}

}  // namespace sharebench
