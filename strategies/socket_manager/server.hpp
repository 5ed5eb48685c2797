// The socket-manager server: one process, one thread, one dictionary. Every request is
// handled to completion before the next, so every operation, add included, is atomic.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "strategies/socket_manager/handler.hpp"

namespace sharebench::socket_manager {

enum class Transport { zmq, uds };

// Serves requests to `handler` on `endpoint` until `stop_fd` becomes readable. Calls
// on_ready("") once it listens, or on_ready(message) and returns if it cannot.
// zmq: a ROUTER bound to an ipc:// or tcp:// endpoint. uds: a stream socket bound to a
// path, an epoll loop, frames behind a 4-byte length.
void run_server(Handler& handler, Transport transport, const std::string& endpoint, int stop_fd,
                const std::function<void(const std::string&)>& on_ready);

}  // namespace sharebench::socket_manager
