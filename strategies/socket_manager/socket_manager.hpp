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

#include <functional>
#include <memory>
#include <span>

#include "strategies/dataset.hpp"
#include "strategies/strategy.hpp"

namespace sharebench {

std::unique_ptr<Strategy> make_socket_manager_strategy(const StrategyOptions& options);
// --transport, --endpoint, --connect, --pipeline, --add-mode.
std::span<const OptionSpec> socket_manager_options();

// `sharebench serve`: checks the options, builds the dataset, and runs the server for it in
// this process, on --endpoint and --transport, until SIGINT or SIGTERM. Returns the exit
// status; messages go to stderr.
int serve_socket_manager(const StrategyOptions& options, const std::function<Dataset()>& build_dataset);

}  // namespace sharebench
