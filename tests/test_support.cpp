#include "tests/test_support.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sharebench::testing {
namespace fs = std::filesystem;

ScratchDir::ScratchDir() {
  char templ[] = "/tmp/sharebench-test-XXXXXX";
  if (::mkdtemp(templ) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

CommandResult run_command(const std::vector<std::string>& argv) {
  ScratchDir scratch;
  const std::string out_path = scratch.file("stdout");
  const std::string err_path = scratch.file("stderr");
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  CommandResult r;
  r.pid = pid;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  return r;
}

CommandResult run_sharebench(const std::vector<std::string>& args, Calibrate calibrate) {
  std::vector<std::string> argv{SHAREBENCH_BINARY};
  const bool subcommand = !args.empty() && (args[0] == "compare" || args[0] == "serve" || args[0] == "clean");
  if (calibrate == Calibrate::no && !subcommand) argv.push_back("--no-calibration");
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

std::vector<std::string> os_objects_with(const std::string& marker) {
  std::vector<std::string> found;
  for (const char* dir : {"/dev/shm", "/dev/mqueue"}) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.find(marker) != std::string::npos) found.push_back(entry.path().string());
    }
  }
  return found;
}

std::vector<std::string> tmp_entries_with(const std::string& marker) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/tmp", ec)) {
    if (entry.path().filename().string().find(marker) != std::string::npos) found.push_back(entry.path().string());
  }
  return found;
}

std::string test_object_prefix() {
  static int counter = 0;
  return "sharebench-test" + std::to_string(++counter) + "-" + std::to_string(::getpid());
}

}  // namespace sharebench::testing
