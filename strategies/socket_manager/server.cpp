#include "strategies/socket_manager/server.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <unordered_map>
#include <vector>
#include <zmq.hpp>

#include "common/error.hpp"
#include "common/os.hpp"
#include "strategies/socket_manager/wire.hpp"

namespace sharebench::socket_manager {

namespace {

std::string held_message(const std::string& endpoint) {
  return "cannot listen on " + endpoint + ": a live server holds it; stop it or choose another --endpoint";
}

std::string not_a_socket_message(const std::string& endpoint, const std::string& path) {
  return "cannot listen on " + endpoint + ": '" + path + "' exists and is not a socket";
}

// Removes a server's socket file when it stops listening (also for a takeover: the file is
// this server's once it bound it).
class SocketFileRemover {
 public:
  explicit SocketFileRemover(std::string path) : path_(std::move(path)) {}
  ~SocketFileRemover() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  SocketFileRemover(const SocketFileRemover&) = delete;
  SocketFileRemover& operator=(const SocketFileRemover&) = delete;

 private:
  std::string path_;
};

ServerEnd serve_zmq(Handler& handler, const std::string& endpoint, int stop_fd,
                    const std::function<void(const std::string&)>& on_ready) {
  // ZeroMQ's ipc bind unlinks whatever is at the path, a live server's socket included:
  // look first. (A server starting between this look and the bind is not seen.)
  const std::string path = socket_file_of(Transport::zmq, endpoint);
  if (!path.empty()) {
    const SocketFile found = probe_socket_file(path);
    if (found == SocketFile::live) {
      on_ready(held_message(endpoint));
      return ServerEnd::endpoint_held;
    }
    if (found == SocketFile::not_a_socket) {
      on_ready(not_a_socket_message(endpoint, path));
      return ServerEnd::cannot_listen;
    }
  }
  zmq::context_t context(1);
  zmq::socket_t router(context, zmq::socket_type::router);
  router.set(zmq::sockopt::linger, 0);
  try {
    router.bind(endpoint);
  } catch (const zmq::error_t& e) {
    const bool held = e.num() == EADDRINUSE;  // tcp, or an abstract ipc name
    on_ready(held ? held_message(endpoint) : "cannot bind " + endpoint + ": " + e.what());
    return held ? ServerEnd::endpoint_held : ServerEnd::cannot_listen;
  }
  const SocketFileRemover remover(path);
  on_ready("");
  // Whatever has arrived is handled as one batch (up to kBatch requests), the first request
  // waited for in a blocking receive, as a bare echo server waits. zmq::poll on the router and
  // stop_fd would cost three system calls more a wait (a zero-timeout first pass, and
  // ZMQ_EVENTS before and after it), each about 1 us on a VM with page-table isolation and
  // all of them on a synchronous client's round trip. stop_fd is looked at when a wait times
  // out or is interrupted, and every kStopLook under unbroken load.
  constexpr std::chrono::milliseconds kStopLook{20};
  router.set(zmq::sockopt::rcvtimeo, static_cast<int>(kStopLook.count()));
  constexpr std::size_t kBatch = 256;
  std::vector<zmq::message_t> identities(kBatch), frames(kBatch);
  std::vector<std::string_view> views;
  std::vector<std::size_t> reply_ends;
  std::string replies;
  const std::string several = [] {
    std::string f;  // a request frame that decodes to an error reply
    f.push_back(0);
    return f;
  }();
  // Request n of the batch (identity and frame); false if none came within the flags' wait.
  auto receive = [&](std::size_t n, zmq::recv_flags flags) {
    while (router.recv(identities[n], flags)) {
      if (!identities[n].more()) continue;  // a ROUTER always sees identity + frame
      if (!router.recv(frames[n], zmq::recv_flags::none)) return false;
      if (frames[n].more()) {  // a request is one frame: drain the rest and refuse it
        zmq::message_t extra;
        while (router.recv(extra, zmq::recv_flags::none) && extra.more()) {
        }
        frames[n].rebuild(several.data(), several.size());
      }
      return true;
    }
    return false;
  };
  auto stop_asked = [&] {
    pollfd stop{stop_fd, POLLIN, 0};
    return ::poll(&stop, 1, 0) > 0;
  };
  auto last_look = std::chrono::steady_clock::now();
  for (;;) {
    std::size_t n = 0;
    try {
      if (receive(0, zmq::recv_flags::none)) {
        for (n = 1; n < kBatch && receive(n, zmq::recv_flags::dontwait); ++n) {
        }
      }
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;  // a signal: `serve` asks through stop_fd
    }
    const auto now = std::chrono::steady_clock::now();
    if (n == 0 || now - last_look >= kStopLook) {
      if (stop_asked()) return ServerEnd::stopped;
      last_look = now;
    }
    views.clear();
    for (std::size_t i = 0; i < n; ++i) views.push_back(frames[i].to_string_view());
    replies.clear();
    reply_ends.clear();
    handler.handle(views, replies, false, &reply_ends);
    for (std::size_t i = 0, begin = 0; i < n; begin = reply_ends[i++]) {
      router.send(identities[i], zmq::send_flags::sndmore);
      router.send(zmq::buffer(replies.data() + begin, reply_ends[i] - begin), zmq::send_flags::none);
    }
  }
}

// One client connection of the UDS server.
struct Connection {
  UniqueFd fd;
  std::string in;  // bytes received, not yet handled
  std::size_t consumed = 0;
  std::string out;  // replies not yet written
  bool close_after_write = false;
  bool watching_writes = false;  // EPOLLOUT is registered
};

ServerEnd serve_uds(Handler& handler, const std::string& path, int stop_fd,
                    const std::function<void(const std::string&)>& on_ready) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    on_ready("socket path '" + path + "' is longer than " + std::to_string(sizeof address.sun_path - 1) + " bytes");
    return ServerEnd::cannot_listen;
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  auto bind_path = [&] { return ::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0; };
  bool bound = listener && bind_path();
  if (!bound && listener && errno == EADDRINUSE) {  // a file is there: take it over if stale
    switch (probe_socket_file(path)) {
      case SocketFile::live:
        on_ready(held_message(path));
        return ServerEnd::endpoint_held;
      case SocketFile::not_a_socket:
        on_ready(not_a_socket_message(path, path));
        return ServerEnd::cannot_listen;
      case SocketFile::stale:
        ::unlink(path.c_str());
        [[fallthrough]];
      case SocketFile::absent:
        bound = bind_path();
    }
  }
  if (!bound) {
    on_ready("cannot listen on '" + path + "': " + std::strerror(errno));
    return ServerEnd::cannot_listen;
  }
  const SocketFileRemover remover(path);
  if (::listen(listener.get(), 1024) != 0) {
    on_ready("cannot listen on '" + path + "': " + std::strerror(errno));
    return ServerEnd::cannot_listen;
  }
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  auto watch = [&](int fd, std::uint32_t events, int op) {
    epoll_event e{};
    e.events = events;
    e.data.fd = fd;
    ::epoll_ctl(epoll.get(), op, fd, &e);
  };
  watch(listener.get(), EPOLLIN, EPOLL_CTL_ADD);
  watch(stop_fd, EPOLLIN, EPOLL_CTL_ADD);
  on_ready("");

  std::unordered_map<int, Connection> connections;
  std::vector<std::string_view> frames;
  // Every system call counts here: a synchronous client waits for each one.
  auto flush = [&](Connection& c) {
    while (!c.out.empty()) {
      const ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN) break;
        return false;  // the client is gone
      }
      c.out.erase(0, static_cast<std::size_t>(n));
    }
    if (c.out.empty() == c.watching_writes) {  // register EPOLLOUT only while replies wait
      c.watching_writes = !c.out.empty();
      watch(c.fd.get(), c.watching_writes ? EPOLLIN | EPOLLOUT : EPOLLIN, EPOLL_CTL_MOD);
    }
    return !(c.out.empty() && c.close_after_write);
  };
  auto read_and_handle = [&](Connection& c) {
    char chunk[65536];
    for (;;) {
      const ssize_t n = ::recv(c.fd.get(), chunk, sizeof chunk, 0);
      if (n == 0) return false;
      if (n < 0) {
        if (errno == EAGAIN) break;
        return false;
      }
      c.in.append(chunk, static_cast<std::size_t>(n));
      // A short read drained the socket; epoll (level-triggered) reports anything newer.
      if (static_cast<std::size_t>(n) < sizeof chunk) break;
    }
    try {
      frames.clear();
      std::string_view frame;
      while (std::size_t used = next_stream_frame(std::string_view(c.in).substr(c.consumed), &frame)) {
        frames.push_back(frame);
        c.consumed += used;
      }
      handler.handle(frames, c.out, true);
    } catch (const Error& e) {  // an impossible length: the stream cannot be resynchronised
      std::string reply;
      encode_reply(reply, {WireStatus::error, 0, e.what()});
      append_length_prefix(c.out, reply.size());
      c.out += reply;
      c.close_after_write = true;
      c.in.clear();
      c.consumed = 0;
    }
    if (c.consumed > 0 && c.consumed == c.in.size()) {
      c.in.clear();
      c.consumed = 0;
    }
    return flush(c);
  };

  epoll_event events[64];
  for (;;) {
    const int n = ::epoll_wait(epoll.get(), events, 64, -1);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == stop_fd) return ServerEnd::stopped;
      if (fd == listener.get()) {
        for (int client; (client = ::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
          connections[client].fd.reset(client);
          watch(client, EPOLLIN, EPOLL_CTL_ADD);
        }
        continue;
      }
      auto it = connections.find(fd);
      if (it == connections.end()) continue;
      bool alive = true;
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) alive = read_and_handle(it->second);
      if (alive && (events[i].events & EPOLLOUT)) alive = flush(it->second);
      if (!alive) connections.erase(it);  // closes the fd, which leaves the epoll set
    }
  }
}

}  // namespace

std::string socket_file_of(Transport transport, const std::string& address) {
  if (transport == Transport::uds) return address;
  if (address.rfind("ipc://", 0) != 0 || address.size() <= 6 || address[6] == '@') return "";
  return address.substr(6);
}

SocketFile probe_socket_file(const std::string& path) {
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0) return SocketFile::absent;
  if (!S_ISSOCK(status.st_mode)) return SocketFile::not_a_socket;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) return SocketFile::absent;  // bind will say why
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  // Non-blocking: a live server whose backlog is full answers EAGAIN instead of blocking.
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!probe) throw_errno("socket");
  if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return SocketFile::live;
  // Refused: nothing listens. Anything else (EAGAIN, EACCES) is no proof of a stale file.
  return errno == ECONNREFUSED ? SocketFile::stale : SocketFile::live;
}

ServerEnd run_server(Handler& handler, Transport transport, const std::string& endpoint, int stop_fd,
                     const std::function<void(const std::string&)>& on_ready) {
  return transport == Transport::zmq ? serve_zmq(handler, endpoint, stop_fd, on_ready)
                                     : serve_uds(handler, endpoint, stop_fd, on_ready);
}

}  // namespace sharebench::socket_manager
