#include <Python.h>

#include "strategies/python/host.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <vector>

#include "common/error.hpp"

namespace sharebench::python {
namespace {

constexpr const char* kHostModule = SHAREBENCH_PYTHON_HOST_MODULE;  // "" in builds without one

// python3.11 -c: loads the host module from its path, under its own name (no sys.path entry
// for the build directory), and hands it sharebench's argv.
constexpr const char* kBootstrap =
    "import sys\n"
    "from importlib.machinery import ExtensionFileLoader\n"
    "from importlib.util import module_from_spec, spec_from_loader\n"
    "loader = ExtensionFileLoader('sharebench_python_host', sys.argv[1])\n"
    "host = module_from_spec(spec_from_loader('sharebench_python_host', loader))\n"
    "loader.exec_module(host)\n"
    "host.main(sys.argv[2:])\n";

bool g_hosted = false;

}  // namespace

bool is_python_strategy(std::string_view name) { return name.starts_with("py-") || name.starts_with("python:"); }

void run_in_python_host(int argc, char** argv) {
  if (*kHostModule == '\0' || g_hosted) return;
  if (::access(kHostModule, R_OK) != 0) {
    throw Error(std::string("python: the host module ") + kHostModule + " is missing: " + std::strerror(errno) +
                "; rebuild sharebench (scripts/build)");
  }
  // -I: no PYTHON* variables (a pyenv PYTHONHOME must not redirect Debian's interpreter), no
  // user site, no script directory on sys.path. -B: no __pycache__ beside a peer.
  std::vector<char*> args = {const_cast<char*>(SHAREBENCH_PYTHON_EXECUTABLE), const_cast<char*>("-I"),
                             const_cast<char*>("-B"), const_cast<char*>("-c"), const_cast<char*>(kBootstrap),
                             const_cast<char*>(kHostModule)};
  args.insert(args.end(), argv, argv + argc);
  args.push_back(nullptr);
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  ::execv(SHAREBENCH_PYTHON_EXECUTABLE, args.data());
  throw Error(std::string("python: cannot run ") + SHAREBENCH_PYTHON_EXECUTABLE + ": " + std::strerror(errno));
}

void begin_hosting() {
  g_hosted = true;
  // ps, top and pgrep show "sharebench", as for the executable, not "python3.11".
  ::prctl(PR_SET_NAME, "sharebench", 0, 0, 0);
  // An embedded interpreter installs no signal handlers (interpreter.cpp); python3.11 took
  // SIGINT and ignored SIGPIPE and SIGXFSZ. Until the harness installs its own, SIGINT must
  // stop sharebench, not become a KeyboardInterrupt in whatever peer code runs next.
  for (int signal : {SIGINT, SIGPIPE, SIGXFSZ}) ::signal(signal, SIG_DFL);
  PyEval_SaveThread();  // never taken back: the host module's main() exits the process
}

bool hosted() { return g_hosted; }

std::string python_runtime() { return g_hosted ? "hosted" : "embedded"; }

std::string python_executable() { return SHAREBENCH_PYTHON_EXECUTABLE; }

}  // namespace sharebench::python
