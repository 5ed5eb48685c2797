// A worker's side of socket-manager: a connection to the server (a ZeroMQ DEALER or a Unix
// stream socket, made after fork) and the Client that speaks the wire format over it.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "strategies/socket_manager/server.hpp"
#include "strategies/socket_manager/wire.hpp"
#include "strategies/strategy.hpp"

namespace sharebench::socket_manager {

// Carries whole frames to the server and back, in order.
class Connection {
 public:
  virtual ~Connection() = default;
  // Queues one frame; flush() sends everything queued.
  virtual void send(std::string_view frame) = 0;
  virtual void flush() = 0;
  // The next reply frame, valid until the next call; throws Error if none arrives within
  // the timeout or the server hung up.
  virtual std::string_view receive() = 0;
};

std::unique_ptr<Connection> connect_to(Transport transport, const std::string& endpoint,
                                       std::chrono::milliseconds timeout);

// How add() is done: by the server, atomically; or as a get then a put, which is what
// `d[k] += 1` does through a multiprocessing.Manager proxy, and loses updates.
enum class AddMode { atomic, read_modify_write };

class SocketManagerClient final : public Client {
 public:
  SocketManagerClient(std::unique_ptr<Connection> connection, std::size_t pipeline, AddMode add_mode);

  // Up to `pipeline` requests in flight, replies matched to them by request id; one at a time
  // with --pipeline 1 or --add-mode rmw (whose get and put cannot be pipelined).
  void execute(std::span<Op> ops) override;
  std::size_t preferred_batch() const override { return pipeline_; }

  // hello: the server's dataset digest and what the dataset was built from.
  std::pair<std::uint64_t, DatasetFacts> hello();
  void reset();

 private:
  // Up to `pipeline` requests sent, then their replies received, until the batch is done.
  void pipeline(std::span<Op> ops);
  void read_modify_write(Op& op);
  Reply round_trip(WireOp op, std::string_view key, std::string_view value);
  void send_request(WireOp op, std::uint32_t id, std::string_view key, std::string_view value);
  Reply receive_reply();
  void apply(Op& op, const Reply& reply);

  std::unique_ptr<Connection> connection_;
  std::size_t pipeline_;
  AddMode add_mode_;
  std::uint32_t next_id_ = 1;
  std::string frame_;
};

}  // namespace sharebench::socket_manager
