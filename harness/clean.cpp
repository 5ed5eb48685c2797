#include "harness/clean.hpp"

#include <signal.h>

#include <cerrno>
#include <filesystem>
#include <regex>

namespace sharebench {
namespace {

namespace fs = std::filesystem;

bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

std::string run_object_prefix(const std::string& run_id, pid_t coordinator) {
  return "sharebench-" + run_id + "-" + std::to_string(coordinator);
}

std::vector<StaleObject> find_stale_objects() {
  static const std::regex kName(R"(^sharebench-[0-9a-f]{16}-([0-9]+)-.+)");
  std::vector<StaleObject> stale;
  for (const char* dir : {"/dev/shm", "/dev/mqueue", "/tmp"}) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      std::smatch m;
      if (!std::regex_match(name, m, kName)) continue;
      const long pid = std::stol(m[1]);
      if (pid > 0 && !process_exists(static_cast<pid_t>(pid))) {
        stale.push_back({entry.path().string(), static_cast<pid_t>(pid)});
      }
    }
  }
  return stale;
}

std::vector<std::string> remove_stale_objects(const std::vector<StaleObject>& objects) {
  std::vector<std::string> failures;
  for (const StaleObject& o : objects) {
    std::error_code ec;
    fs::remove_all(o.path, ec);
    if (ec) failures.push_back(o.path + ": " + ec.message());
  }
  return failures;
}

}  // namespace sharebench
