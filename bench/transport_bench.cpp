// The raw transports socket-manager is built on, measured the way the strategy uses them:
// a client process and a server process (forked), one request and one reply per round trip,
// frames of the strategy's size (a 16-byte header, a 7-byte key; a 12-byte header, a 32-byte
// value). The strategy is judged against these floors.
#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <zmq.hpp>

#include "common/child_process.hpp"
#include "common/os.hpp"

namespace sharebench {
namespace {

const std::string kRequest(16 + 7, 'q');
const std::string kReply(12 + 32, 'r');

// A private directory and an echo server in a child process, for the life of one benchmark.
struct EchoServer {
  PrivateDir dir{"sharebench-bench"};
  ChildProcess server;
};

void BM_ZmqDealerRouterRoundTrip(benchmark::State& state) {
  EchoServer echo;
  const std::string endpoint = "ipc://" + echo.dir.path() + "/echo.sock";
  int ready[2];
  if (::pipe(ready) != 0) return state.SkipWithError("pipe");
  echo.server = ChildProcess::spawn([&]() -> int {
    zmq::context_t context(1);
    zmq::socket_t router(context, zmq::socket_type::router);
    router.bind(endpoint);
    [[maybe_unused]] const ssize_t n = ::write(ready[1], "r", 1);
    zmq::message_t identity, frame;
    for (;;) {
      if (!router.recv(identity) || !router.recv(frame)) return 1;
      router.send(identity, zmq::send_flags::sndmore);
      router.send(zmq::buffer(kReply), zmq::send_flags::none);
    }
  });
  char byte;
  [[maybe_unused]] const ssize_t n = ::read(ready[0], &byte, 1);
  ::close(ready[0]);
  ::close(ready[1]);
  zmq::context_t context(1);
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(endpoint);
  zmq::message_t reply;
  for (auto _ : state) {
    dealer.send(zmq::buffer(kRequest), zmq::send_flags::none);
    if (!dealer.recv(reply)) return state.SkipWithError("no reply");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ZmqDealerRouterRoundTrip)->UseRealTime();

bool write_all(int fd, const std::string& data) {
  return ::send(fd, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
}
bool read_exactly(int fd, char* buffer, std::size_t size) {
  for (std::size_t got = 0; got < size;) {
    const ssize_t n = ::recv(fd, buffer + got, size - got, 0);
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return true;
}

void BM_UdsPingPong(benchmark::State& state) {
  EchoServer echo;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = echo.dir.path() + "/echo.sock";
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM, 0));
  ::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::listen(listener.get(), 1);
  echo.server = ChildProcess::spawn([&]() -> int {
    UniqueFd client(::accept(listener.get(), nullptr, nullptr));
    char request[64];
    while (read_exactly(client.get(), request, kRequest.size() + 4)) {
      if (!write_all(client.get(), std::string(4, '\0') + kReply)) return 0;
    }
    return 0;
  });
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    return state.SkipWithError("connect");
  }
  const std::string framed = std::string(4, '\0') + kRequest;
  char reply[64];
  for (auto _ : state) {
    write_all(fd.get(), framed);
    if (!read_exactly(fd.get(), reply, kReply.size() + 4)) return state.SkipWithError("no reply");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UdsPingPong)->UseRealTime();

}  // namespace
}  // namespace sharebench
