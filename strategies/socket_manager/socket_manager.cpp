#include "strategies/socket_manager/socket_manager.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <iostream>

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "common/os.hpp"
#include "strategies/socket_manager/client.hpp"
#include "strategies/socket_manager/server.hpp"

namespace sharebench {
namespace {

using namespace socket_manager;
using std::chrono::milliseconds;

constexpr milliseconds kServerStartTimeout{60'000};  // preloading a large dataset takes a while
constexpr milliseconds kServerStopGrace{2'000};

OptionValue parse_transport(std::string_view flag, std::string_view text) {
  return parse_choice(flag, text, "transport", {"zmq", "uds"});
}
OptionValue parse_add_mode(std::string_view flag, std::string_view text) {
  return parse_choice(flag, text, "mode", {"atomic", "rmw"});
}

constexpr OptionSpec kTransport{"--transport", "NAME", "zmq (ZeroMQ DEALER/ROUTER) or uds (Unix socket)", "zmq",
                                "transport", parse_transport};
constexpr OptionSpec kEndpoint{"--endpoint", "ADDRESS",
                               "where its server listens: ipc://PATH or tcp://HOST:PORT (zmq), a path (uds); "
                               "default: a private ipc path",
                               "", "endpoint", any_text};
constexpr OptionSpec kConnect{"--connect", "ADDRESS", "use the server already listening there (sharebench serve)",
                              "", "connect", any_text};
constexpr OptionSpec kAddMode{"--add-mode", "MODE",
                              "atomic (the server adds) or rmw (a get then a put, as Manager proxies do)", "atomic",
                              "add_mode", parse_add_mode};
constexpr OptionSpec kOptions[] = {kTransport, kEndpoint, kConnect, kPipelineOption, kAddMode};

Transport transport_of(const StrategyOptions& o) {
  return o.text(kTransport) == "uds" ? Transport::uds : Transport::zmq;
}

// The rest of socket-manager's options, read once at construction.
struct Settings {
  explicit Settings(const StrategyOptions& o)
      : endpoint(o.text(kEndpoint)),
        connect(o.text(kConnect)),
        pipeline(o.number(kPipelineOption)),
        object_prefix(o.object_prefix),
        op_timeout(o.op_timeout) {}
  std::string endpoint, connect;
  std::size_t pipeline;
  std::string object_prefix;
  milliseconds op_timeout;
};

// The host of a tcp:// endpoint, or "" for an ipc one.
std::string tcp_host(const std::string& endpoint) {
  if (endpoint.rfind("tcp://", 0) != 0) return "";
  const std::string rest = endpoint.substr(6);
  return rest.substr(0, rest.rfind(':'));
}

bool is_loopback(const std::string& host) {
  return host.rfind("127.", 0) == 0 || host == "localhost" || host == "[::1]" || host == "::1";
}

// Checks an endpoint's form for the transport; returns the address to bind or connect to.
std::string check_endpoint(Transport transport, const std::string& endpoint, const char* option) {
  if (transport == Transport::uds) {
    std::string path = endpoint;
    for (const char* scheme : {"ipc://", "unix://"}) {
      if (path.rfind(scheme, 0) == 0) path = path.substr(std::string_view(scheme).size());
    }
    if (path.empty() || path.rfind("tcp://", 0) == 0) {
      throw Error(std::string(option) + ": '" + endpoint + "' is not a socket path (uds takes a path or ipc://PATH)");
    }
    return path;
  }
  if (endpoint.rfind("ipc://", 0) == 0 && endpoint.size() > 6) return endpoint;
  if (endpoint.rfind("tcp://", 0) == 0) {
    const auto colon = endpoint.rfind(':');
    int port = 0;
    const char* digits = endpoint.c_str() + colon + 1;
    const auto [end, ec] = std::from_chars(digits, endpoint.c_str() + endpoint.size(), port);
    if (colon > 6 && ec == std::errc() && *end == '\0' && port >= 1 && port <= 65535 && colon > 6) return endpoint;
  }
  throw Error(std::string(option) + ": '" + endpoint + "' is not an endpoint; accepted: ipc://PATH, tcp://HOST:PORT");
}

std::string no_authentication_warning(const std::string& endpoint) {
  return "socket-manager listens on " + endpoint +
         ", which is not loopback: there is no authentication, anyone who reaches it can read and write the dictionary";
}

class SocketManagerStrategy final : public Strategy {
 public:
  explicit SocketManagerStrategy(const StrategyOptions& o)
      : options_(o),
        transport_(transport_of(o)),
        add_mode_(o.text(kAddMode) == "rmw" ? AddMode::read_modify_write : AddMode::atomic) {}
  ~SocketManagerStrategy() override { teardown(); }

  Capabilities capabilities() const override {
    return {.holds_data = true, .put = true, .add = true, .atomic_add = add_mode_ == AddMode::atomic};
  }

  std::vector<std::string> check_options(std::span<const DatasetShape>) const override {
    if (!options_.connect.empty() && !options_.endpoint.empty()) {
      throw Error("--endpoint and --connect contradict each other: --endpoint starts a server there, "
                  "--connect uses one that runs already");
    }
    if (!options_.connect.empty()) check_endpoint(transport_, options_.connect, "--connect");
    if (options_.endpoint.empty()) return {};
    check_endpoint(transport_, options_.endpoint, "--endpoint");
    const std::string host = tcp_host(options_.endpoint);
    if (!host.empty() && !is_loopback(host)) return {no_authentication_warning(options_.endpoint)};
    return {};
  }

  void prepare(const Dataset& dataset) override {
    if (!options_.connect.empty()) {
      address_ = check_endpoint(transport_, options_.connect, "--connect");
      use_running_server(dataset);
      return;
    }
    if (options_.endpoint.empty()) {
      dir_ = PrivateDir(options_.object_prefix);
      address_ = (transport_ == Transport::zmq ? "ipc://" : "") + dir_.path() + "/manager.sock";
    } else {
      address_ = check_endpoint(transport_, options_.endpoint, "--endpoint");
    }
    start_server(dataset);
  }

  std::unique_ptr<Client> connect(int) override {
    return std::make_unique<SocketManagerClient>(connect_to(transport_, address_, options_.op_timeout),
                                                 options_.pipeline, add_mode_);
  }

  void teardown() noexcept override {
    if (server_) {
      if (stop_) {
        const char stop = 's';  // MSG_NOSIGNAL: a dead server must not take the caller with it
        [[maybe_unused]] const ssize_t n = ::send(stop_.get(), &stop, 1, MSG_NOSIGNAL);
      }
      server_.stop(kServerStopGrace);
      server_ = ChildProcess();
    }
    stop_.reset();
    if (transport_ == Transport::uds && options_.connect.empty() && !options_.endpoint.empty()) {
      ::unlink(address_.c_str());  // a socket path the user chose outlives the server
    }
    dir_.reset();
  }

  std::vector<pid_t> helper_processes() const override {
    return server_ && !server_.exited() ? std::vector<pid_t>{server_.pid()} : std::vector<pid_t>{};
  }

  std::string helper_failure() override {
    // A killed server's sockets close before it can be reaped: give its exit a moment.
    if (server_ && server_.wait_for(milliseconds(200))) return "server exited: " + server_.how_ended();
    return "";
  }

 private:
  void start_server(const Dataset& dataset) {
    int stop[2], ready[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stop) != 0 || ::pipe2(ready, O_CLOEXEC) != 0) {
      throw_errno("socket-manager: socketpair");
    }
    UniqueFd stop_read(stop[0]), ready_read(ready[0]), ready_write(ready[1]);
    stop_.reset(stop[1]);
    const Transport transport = transport_;
    const std::string address = address_;
    server_ = ChildProcess::spawn([&dataset, transport, address, &stop_read, &ready_write]() -> int {
      Dictionary dictionary(dataset);
      run_server(dictionary, transport, address, stop_read.get(), [&](const std::string& error) {
        const std::string message = error.empty() ? "ok" : error;
        [[maybe_unused]] const ssize_t n = ::write(ready_write.get(), message.data(), message.size());
        ready_write.reset();
      });
      return 0;
    });
    ready_write.reset();  // so that the server's death reads as end of file
    const std::string answer = read_until_closed(ready_read.get(), kServerStartTimeout);
    if (answer != "ok") {
      const std::string why = answer.empty() ? "exited before it was ready (" + how_server_ended() + ")" : answer;
      teardown();
      throw Error("socket-manager: server " + why);
    }
  }

  std::string how_server_ended() {
    server_.wait_for(milliseconds(100));
    return server_.how_ended();
  }

  // The server's first words: "ok", an error message, or nothing if it died or hung.
  std::string read_until_closed(int fd, milliseconds timeout) {
    pollfd p{fd, POLLIN, 0};
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) throw Error("socket-manager: server not ready within " + std::to_string(timeout.count()) + " ms");
      const int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r < 0 && errno == EINTR) continue;
      char buffer[512];
      const ssize_t n = r > 0 ? ::read(fd, buffer, sizeof buffer) : 0;
      if (n <= 0) return text;
      text.append(buffer, static_cast<std::size_t>(n));
      if (text == "ok") return text;
    }
  }

  // --connect: the server runs already (sharebench serve). It must hold this cell's dataset,
  // and starts the cell from it again. The temporary connection is closed before any fork.
  void use_running_server(const Dataset& dataset) {
    SocketManagerClient client(connect_to(transport_, address_, options_.op_timeout), 1, AddMode::atomic);
    const auto [digest, keys] = client.hello();
    if (digest != dataset.digest()) {
      throw Error("socket-manager: the server at " + options_.connect + " holds another dataset (" +
                  std::to_string(keys) + " keys; this cell has " + std::to_string(dataset.size()) +
                  "): start sharebench serve with the same --workload, --keys, --value-size and --seed");
    }
    client.reset();
  }

  Settings options_;
  Transport transport_;
  AddMode add_mode_;
  std::string address_;
  PrivateDir dir_;
  UniqueFd stop_;  // writing a byte asks the server to stop
  ChildProcess server_;
};

volatile sig_atomic_t g_serve_stop_fd = -1;

void on_serve_signal(int) {
  const char stop = 's';
  [[maybe_unused]] const ssize_t n = ::write(g_serve_stop_fd, &stop, 1);
}

}  // namespace

std::unique_ptr<Strategy> make_socket_manager_strategy(const StrategyOptions& options) {
  return std::make_unique<SocketManagerStrategy>(options);
}

std::span<const OptionSpec> socket_manager_options() { return kOptions; }

int serve_socket_manager(const StrategyOptions& strategy_options, const std::function<Dataset()>& build_dataset) {
  const Settings options(strategy_options);
  if (options.endpoint.empty()) throw Error("serve: --endpoint is required (ipc://PATH or tcp://HOST:PORT)");
  if (!options.connect.empty()) throw Error("serve: --connect is for runs that use a server, not for serve");
  const Transport transport = transport_of(strategy_options);
  const std::string address = check_endpoint(transport, options.endpoint, "--endpoint");
  const std::string host = tcp_host(options.endpoint);
  if (!host.empty() && !is_loopback(host)) std::cerr << "***WARNING*** " << no_authentication_warning(options.endpoint) << '\n';
  const Dataset dataset = build_dataset();
  int stop[2];
  if (::pipe2(stop, O_CLOEXEC) != 0) throw_errno("pipe");
  UniqueFd stop_read(stop[0]), stop_write(stop[1]);
  g_serve_stop_fd = stop_write.get();
  struct sigaction action {};
  action.sa_handler = on_serve_signal;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  Dictionary dictionary(dataset);
  std::string failure;
  run_server(dictionary, transport, address, stop_read.get(), [&](const std::string& error) {
    failure = error;
    if (error.empty()) {
      std::cerr << "sharebench serve: listening on " << options.endpoint << " (" << dictionary.size()
                << " keys, dataset digest " << dataset.digest() << "); SIGINT or SIGTERM stops it\n";
    }
  });
  if (transport == Transport::uds) ::unlink(address.c_str());
  if (!failure.empty()) {
    std::cerr << "sharebench: " << failure << '\n';
    return 1;
  }
  std::cerr << "sharebench serve: stopped (" << dictionary.bad_frames() << " malformed frames refused)\n";
  return 0;
}

}  // namespace sharebench
