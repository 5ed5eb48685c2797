// socket-manager: multiprocessing.Manager().dict() in C++. One server process owns the dict;
// every worker operation is a request to it and a reply.
//   Shared:  nothing but the server's socket: a ZeroMQ ROUTER (ipc:// in a private 0700
//            directory, or tcp://) or a Unix-domain stream socket (--transport uds).
//   Writes:  the server applies every request in turn on one thread, so put and add are
//            atomic; --add-mode rmw makes add a get then a put, as `d[k] += 1` through a
//            Manager proxy does, and loses updates.
//   Readers: see every write the server applied before their request.
//   An op:   one round trip (--pipeline K: up to K in flight per worker).
#pragma once

#include <memory>

#include "strategies/dataset.hpp"
#include "strategies/strategy.hpp"

namespace sharebench {

std::unique_ptr<Strategy> make_socket_manager_strategy(const StrategyOptions& options);

// `sharebench serve`: runs the server for `dataset` in this process, on options.endpoint and
// options.transport, until SIGINT or SIGTERM. Returns the exit status; messages go to stderr.
int serve_socket_manager(const Dataset& dataset, const StrategyOptions& options);

}  // namespace sharebench
