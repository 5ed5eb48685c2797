#include "strategies/socket_manager/client.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <zmq.hpp>

#include "common/error.hpp"
#include "common/os.hpp"

namespace sharebench::socket_manager {
namespace {

std::string no_reply(std::chrono::milliseconds timeout) {
  return "socket-manager: no reply from the server within " + std::to_string(timeout.count()) + " ms";
}

class ZmqConnection final : public Connection {
 public:
  ZmqConnection(const std::string& endpoint, std::chrono::milliseconds timeout)
      : context_(1), dealer_(context_, zmq::socket_type::dealer), timeout_(timeout) {
    dealer_.set(zmq::sockopt::linger, 0);
    dealer_.set(zmq::sockopt::rcvtimeo, static_cast<int>(timeout.count()));
    dealer_.set(zmq::sockopt::sndtimeo, static_cast<int>(timeout.count()));
    try {
      dealer_.connect(endpoint);
    } catch (const zmq::error_t& e) {
      throw Error("socket-manager: cannot connect to " + endpoint + ": " + e.what());
    }
  }
  void send(std::string_view frame) override {
    if (!dealer_.send(zmq::buffer(frame.data(), frame.size()), zmq::send_flags::none)) {
      throw Error("socket-manager: the server took no request within " + std::to_string(timeout_.count()) + " ms");
    }
  }
  void flush() override {}
  std::string_view receive() override {
    if (!dealer_.recv(reply_, zmq::recv_flags::none)) throw Error(no_reply(timeout_));
    return reply_.to_string_view();
  }

 private:
  zmq::context_t context_;
  zmq::socket_t dealer_;
  zmq::message_t reply_;
  std::chrono::milliseconds timeout_;
};

class UdsConnection final : public Connection {
 public:
  UdsConnection(const std::string& path, std::chrono::milliseconds timeout)
      : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)), timeout_(timeout) {
    if (!fd_) throw_errno("socket-manager: socket");
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path) throw Error("socket-manager: socket path too long: " + path);
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw_errno("socket-manager: cannot connect to '" + path + "'");
    }
    timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  void send(std::string_view frame) override {
    append_length_prefix(out_, frame.size());
    out_.append(frame);
  }
  void flush() override {
    std::size_t sent = 0;
    while (sent < out_.size()) {
      const ssize_t n = ::send(fd_.get(), out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) throw Error("socket-manager: the server took no request within " + std::to_string(timeout_.count()) + " ms");
        throw_errno("socket-manager: sending to the server");
      }
      sent += static_cast<std::size_t>(n);
    }
    out_.clear();
  }
  std::string_view receive() override {
    if (consumed_ > 0) {
      in_.erase(0, consumed_);
      consumed_ = 0;
    }
    std::string_view frame;
    while ((consumed_ = next_stream_frame(in_, &frame)) == 0) {
      char chunk[65536];
      const ssize_t n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
      if (n == 0) throw Error("socket-manager: the server closed the connection");
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) throw Error(no_reply(timeout_));
        throw_errno("socket-manager: receiving from the server");
      }
      in_.append(chunk, static_cast<std::size_t>(n));
    }
    return frame;
  }

 private:
  UniqueFd fd_;
  std::chrono::milliseconds timeout_;
  std::string out_, in_;
  std::size_t consumed_ = 0;
};

}  // namespace

std::unique_ptr<Connection> connect_to(Transport transport, const std::string& endpoint,
                                       std::chrono::milliseconds timeout) {
  if (transport == Transport::zmq) return std::make_unique<ZmqConnection>(endpoint, timeout);
  return std::make_unique<UdsConnection>(endpoint, timeout);
}

SocketManagerClient::SocketManagerClient(std::unique_ptr<Connection> connection, std::size_t pipeline,
                                         AddMode add_mode)
    : connection_(std::move(connection)), pipeline_(pipeline), add_mode_(add_mode) {}

void SocketManagerClient::send_request(WireOp op, std::uint32_t id, std::string_view key, std::string_view value) {
  frame_.clear();
  encode_request(frame_, {op, id, key, value});
  connection_->send(frame_);
}

Reply SocketManagerClient::receive_reply() {
  Reply reply;
  if (const std::string error = decode_reply(connection_->receive(), reply); !error.empty()) {
    throw Error("socket-manager: bad reply from the server: " + error);
  }
  if (reply.status == WireStatus::error) {
    throw Error("socket-manager: the server refused a request: " + std::string(reply.value));
  }
  return reply;
}

Reply SocketManagerClient::round_trip(WireOp op, std::string_view key, std::string_view value) {
  const std::uint32_t id = next_id_++;
  send_request(op, id, key, value);
  connection_->flush();
  const Reply reply = receive_reply();
  if (reply.id != id) {
    throw Error("socket-manager: reply for request " + std::to_string(reply.id) + " while waiting for " +
                std::to_string(id));
  }
  return reply;
}

// What `d[k] += 1` does through a proxy: another process can write between the two.
void SocketManagerClient::read_modify_write(Op& op) {
  std::int64_t value = 0;
  const Reply current = round_trip(WireOp::get, op.key, {});
  if (current.status == WireStatus::found && !decode_int64(current.value, &value)) {
    throw Error("socket-manager: add on a key whose value is not an 8-byte counter");
  }
  value = static_cast<std::int64_t>(static_cast<std::uint64_t>(value) + static_cast<std::uint64_t>(op.delta));
  round_trip(WireOp::put, op.key, encode_int64(value));
  op.counter = value;
}

void SocketManagerClient::apply(Op& op, const Reply& reply) {
  switch (op.kind) {
    case OpKind::get:
      op.found = reply.status == WireStatus::found;
      if (op.found) op.copy_result(reply.value);
      return;
    case OpKind::put:
      return;
    case OpKind::add:
      if (!decode_int64(reply.value, &op.counter)) throw Error("socket-manager: add reply without a value");
      return;
  }
}

void SocketManagerClient::execute(std::span<Op> ops) {
  if (add_mode_ == AddMode::read_modify_write) {
    // One operation at a time, as through a Manager proxy (an add's get and put in turn).
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].kind == OpKind::add) {
        read_modify_write(ops[i]);
      } else {
        pipeline(ops.subspan(i, 1));
      }
    }
    return;
  }
  pipeline(ops);
}

void SocketManagerClient::pipeline(std::span<Op> ops) {
  for (std::size_t base = 0; base < ops.size(); base += pipeline_) {
    const std::size_t n = std::min(pipeline_, ops.size() - base);
    const std::uint32_t first = next_id_;
    for (std::size_t i = 0; i < n; ++i) {
      const Op& op = ops[base + i];
      switch (op.kind) {
        case OpKind::get:
          send_request(WireOp::get, next_id_++, op.key, {});
          break;
        case OpKind::put:
          send_request(WireOp::put, next_id_++, op.key, op.value);
          break;
        case OpKind::add:
          send_request(WireOp::add, next_id_++, op.key, encode_int64(op.delta));
          break;
      }
    }
    connection_->flush();
    for (std::size_t received = 0; received < n; ++received) {
      const Reply reply = receive_reply();
      const std::uint32_t index = reply.id - first;
      if (index >= n) throw Error("socket-manager: reply for unknown request " + std::to_string(reply.id));
      apply(ops[base + index], reply);
    }
  }
}

std::pair<std::uint64_t, DatasetFacts> SocketManagerClient::hello() {
  const Reply reply = round_trip(WireOp::hello, {}, {});
  constexpr std::size_t kWords = 4;  // digest, keys, value size, counters; then the workload
  std::int64_t words[kWords] = {};
  if (reply.value.size() < 8 * kWords) throw Error("socket-manager: malformed hello reply");
  for (std::size_t i = 0; i < kWords; ++i) decode_int64(reply.value.substr(8 * i, 8), &words[i]);
  const auto word = [&](std::size_t i) { return static_cast<std::uint64_t>(words[i]); };
  return {word(0), DatasetFacts{std::string(reply.value.substr(8 * kWords)), word(1), word(2), word(3)}};
}

void SocketManagerClient::reset() { round_trip(WireOp::reset, {}, {}); }

}  // namespace sharebench::socket_manager
