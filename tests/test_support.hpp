// Helpers shared by the tests: a scratch directory, running the sharebench binary, and
// looking for OS objects a run may have left behind.
#pragma once

#include <string>
#include <vector>

namespace sharebench::testing {

// A fresh directory under /tmp, removed with everything in it when the object dies.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CommandResult {
  int pid = 0;
  int exit_code = -1;  // 128 + signal if killed
  std::string out;
  std::string err;
};

// Runs argv (no shell) and captures its output.
CommandResult run_command(const std::vector<std::string>& argv);
// Runs the sharebench binary under test with these arguments. A run (not a subcommand) gets
// --no-calibration unless `calibrate` says yes: the figures it measures before the first cell
// took about 1.3 s of every run, a third of the suite's time, and few tests read them.
enum class Calibrate { no, yes };
CommandResult run_sharebench(const std::vector<std::string>& args, Calibrate calibrate = Calibrate::no);

// Entries of /dev/shm and /dev/mqueue whose names contain `marker` (a test's object prefix,
// or "-PID-" for the objects of a sharebench process).
std::vector<std::string> os_objects_with(const std::string& marker);
// Entries directly under /tmp whose names contain `marker` (private socket directories).
std::vector<std::string> tmp_entries_with(const std::string& marker);
// A unique object prefix for a test's strategies, as a run would make one.
std::string test_object_prefix();

std::string read_file(const std::string& path);

}  // namespace sharebench::testing
