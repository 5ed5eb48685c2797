#include "harness/clean.hpp"

#include <signal.h>

#include <cerrno>
#include <filesystem>
#include <string_view>

namespace sharebench {
namespace {

namespace fs = std::filesystem;

bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

// The coordinator pid in a name made by run_object_prefix ("sharebench-<16 hex>-<pid>-<what>"),
// or 0 for any other name.
pid_t coordinator_of(std::string_view name) {
  constexpr std::string_view kStart = "sharebench-";
  constexpr std::size_t kRunIdDigits = 16;
  if (!name.starts_with(kStart)) return 0;
  name.remove_prefix(kStart.size());
  if (name.size() <= kRunIdDigits || name[kRunIdDigits] != '-') return 0;
  for (char c : name.substr(0, kRunIdDigits)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return 0;
  }
  name.remove_prefix(kRunIdDigits + 1);
  long pid = 0;
  std::size_t digits = 0;
  for (; digits < name.size() && name[digits] >= '0' && name[digits] <= '9' && digits < 9; ++digits) {
    pid = pid * 10 + (name[digits] - '0');
  }
  // At least one digit, then '-' and the object's own name.
  if (digits == 0 || digits + 1 >= name.size() || name[digits] != '-') return 0;
  return static_cast<pid_t>(pid);
}

}  // namespace

std::string run_object_prefix(const std::string& run_id, pid_t coordinator) {
  return "sharebench-" + run_id + "-" + std::to_string(coordinator);
}

std::vector<StaleObject> find_stale_objects() {
  std::vector<StaleObject> stale;
  for (const char* dir : {"/dev/shm", "/dev/mqueue", "/tmp"}) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      const pid_t pid = coordinator_of(name);
      if (pid > 0 && !process_exists(pid)) stale.push_back({entry.path().string(), pid});
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
