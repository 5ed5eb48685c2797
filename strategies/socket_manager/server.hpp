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

// The file path of the Unix socket an address names (ipc://PATH for zmq, a path for uds),
// or "" if it names none (tcp://, an abstract ipc://@NAME).
std::string socket_file_of(Transport transport, const std::string& address);

// What is at a socket path. connect(2) tells a live server from a file left by one that
// died (stale: nothing listens, so a new server may take the path over).
enum class SocketFile { absent, stale, live, not_a_socket };
SocketFile probe_socket_file(const std::string& path);

// How run_server() ended: it served until stopped, or could not listen because another live
// server holds the endpoint, or for another reason.
enum class ServerEnd { stopped, endpoint_held, cannot_listen };

// Serves requests to `handler` on `endpoint` until `stop_fd` becomes readable. Calls
// on_ready("") once it listens, or on_ready(message) and returns if it cannot. It never
// takes over an endpoint a live server holds (ZeroMQ's ipc bind would, silently), takes
// over a stale socket file, and removes its socket file when it stops.
// zmq: a ROUTER bound to an ipc:// or tcp:// endpoint. uds: a stream socket bound to a
// path, an epoll loop, frames behind a 4-byte length.
ServerEnd run_server(Handler& handler, Transport transport, const std::string& endpoint, int stop_fd,
                     const std::function<void(const std::string&)>& on_ready);

}  // namespace sharebench::socket_manager
