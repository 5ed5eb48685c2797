// redis: the dictionary lives in a Redis server, reached over a Unix socket or TCP (hiredis).
//   Shared:  a private redis-server started by prepare() (Unix socket in a 0700 directory,
//            no persistence), or the server --redis-url names; every key carries the run's
//            prefix (sb:<8 hex>:), and teardown deletes exactly those keys (it never flushes).
//   Writes:  SET; add is INCRBY, atomic in the server.
//   Readers: GET sees every write the server applied before it.
//   An op:   one round trip (--pipeline K: K commands per round trip).
#pragma once

#include <memory>
#include <span>

#include "strategies/strategy.hpp"

namespace sharebench {

std::unique_ptr<Strategy> make_redis_strategy(const StrategyOptions& options);
// --redis-url, --pipeline.
std::span<const OptionSpec> redis_options();

}  // namespace sharebench
