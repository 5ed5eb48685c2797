#include "strategies/socket_manager/socket_manager.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <iostream>

#include "common/error.hpp"
#include "common/helper_process.hpp"
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

constexpr OptionSpec kTransport{"--transport", "NAME", "zmq (ZeroMQ DEALER/ROUTER) or uds (Unix socket)", "zmq",
                                "transport", parse_transport, true};
constexpr OptionSpec kEndpoint{"--endpoint", "ADDRESS",
                               "where its server listens: ipc://PATH or tcp://HOST:PORT (zmq), a path (uds); "
                               "default: a private ipc path",
                               "", "endpoint", any_text, true};
constexpr OptionSpec kConnect{"--connect", "ADDRESS", "use the server already listening there (sharebench serve)",
                              "", "connect", any_text};
constexpr OptionSpec kOptions[] = {kTransport, kEndpoint, kConnect, kPipelineOption, kAddModeOption};

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
        add_mode_(o.text(kAddModeOption) == "rmw" ? AddMode::read_modify_write : AddMode::atomic) {}
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
    server_.stop(kServerStopGrace);  // a byte on its stop_fd asks it to stop; it removes its socket file
    if (server_listened_ && !options_.endpoint.empty()) {
      // Unless it was killed: a socket path the user chose would outlive it. Only our server's:
      // a server that could not listen must not remove the file of the one that holds the path.
      if (const std::string path = socket_file_of(transport_, address_); !path.empty()) ::unlink(path.c_str());
    }
    server_listened_ = false;
    dir_.reset();
  }

  std::vector<pid_t> helper_processes() const override {
    return server_.running() ? std::vector<pid_t>{server_.pid()} : std::vector<pid_t>{};
  }

  std::string helper_failure() override { return server_.failure(); }

 private:
  void start_server(const Dataset& dataset) {
    server_ = HelperProcess::fork("socket-manager", "server", kServerStartTimeout,
                                  [&dataset, transport = transport_, &address = address_](HelperProcess::Child& child) {
                                    Dictionary dictionary(dataset);
                                    Handler handler(dictionary);
                                    run_server(handler, transport, address, child.stop_fd(),
                                               [&child](const std::string& error) { child.ready(error); });
                                    return 0;
                                  });
    server_listened_ = true;
  }

  // --connect: the server runs already (sharebench serve). It must hold this cell's dataset,
  // and starts the cell from it again. The temporary connection is closed before any fork.
  void use_running_server(const Dataset& dataset) {
    SocketManagerClient client(connect_to(transport_, address_, options_.op_timeout), 1, AddMode::atomic);
    const auto [digest, facts] = client.hello();
    if (digest != dataset.digest()) {
      std::string differs = dataset_differences(dataset.facts(), facts);
      if (differs.empty()) differs = "same keys, value size and counters, other contents: another sharebench version?";
      throw Error("socket-manager: the server at " + options_.connect +
                  " holds another dataset (this cell's vs the server's: " + differs +
                  "): start sharebench serve with the same --workload, --keys and --value-size");
    }
    client.reset();
  }

  Settings options_;
  Transport transport_;
  AddMode add_mode_;
  std::string address_;
  PrivateDir dir_;
  HelperProcess server_;
  bool server_listened_ = false;
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
  // A live server's endpoint is refused before the dataset is built (which may take long).
  const std::string held = "serve: " + options.endpoint + " is held by a live server; stop it or choose another --endpoint";
  const std::string socket_file = socket_file_of(transport, address);
  const SocketFile found = socket_file.empty() ? SocketFile::absent : probe_socket_file(socket_file);
  if (found == SocketFile::live) throw Error(held);
  if (found == SocketFile::not_a_socket) {
    throw Error("serve: --endpoint " + options.endpoint + ": '" + socket_file + "' exists and is not a socket");
  }
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
  Handler handler(dictionary);
  std::string failure;
  const ServerEnd end = run_server(handler, transport, address, stop_read.get(), [&](const std::string& error) {
    failure = error;
    if (error.empty()) {
      std::cerr << "sharebench serve: listening on " << options.endpoint << " (" << dictionary.size()
                << " keys, dataset digest " << dataset.digest() << "); SIGINT or SIGTERM stops it\n";
    }
  });
  if (end == ServerEnd::endpoint_held) throw Error(held);  // bad input, as above
  if (end == ServerEnd::cannot_listen) {
    std::cerr << "sharebench: " << failure << '\n';
    return 1;
  }
  std::cerr << "sharebench serve: stopped (" << handler.bad_frames() << " malformed frames refused)\n";
  return 0;
}

}  // namespace sharebench
