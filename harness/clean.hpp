// Objects left behind by sharebench runs that died without tearing down (SIGKILL, a power
// cut): every object a run creates is named sharebench-<run id>-<pid>-..., in /dev/shm,
// /dev/mqueue or /tmp, so one whose pid no longer runs is known to be stale.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace sharebench {

struct StaleObject {
  std::string path;
  pid_t owner;
};

// Objects of runs whose coordinator is gone. A live run's objects are never listed.
std::vector<StaleObject> find_stale_objects();

// Removes them; returns the ones that could not be removed, with why, one line each.
std::vector<std::string> remove_stale_objects(const std::vector<StaleObject>& objects);

// The prefix every OS object of a run starts with: "sharebench-<16 hex digits>-<pid>".
std::string run_object_prefix(const std::string& run_id, pid_t coordinator);

}  // namespace sharebench
