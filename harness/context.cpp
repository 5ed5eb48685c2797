#include "harness/context.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <random>
#include <string_view>
#include <unordered_map>

#include "build_info.hpp"
#include "harness/statistics.hpp"

namespace sharebench {
namespace {

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string cpuinfo_field(std::string_view field) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "";
}

// "48K" -> 49152
std::int64_t parse_cache_size(const std::string& text) {
  char* end = nullptr;
  const long long n = std::strtoll(text.c_str(), &end, 10);
  if (end != nullptr && (*end == 'K' || *end == 'k')) return n * 1024;
  if (end != nullptr && *end == 'M') return n * 1024 * 1024;
  return n;
}

// Counts the CPUs a sysfs list such as "0-1,4" names.
int count_cpus(const std::string& list) {
  int count = 0;
  std::size_t pos = 0;
  while (pos < list.size()) {
    const std::size_t comma = list.find(',', pos);
    const std::string part = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    const auto dash = part.find('-');
    count += dash == std::string::npos ? 1 : std::atoi(part.c_str() + dash + 1) - std::atoi(part.c_str()) + 1;
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return count;
}

std::vector<CacheInfo> caches_from_sysfs(const std::string& sysfs_root) {
  std::vector<CacheInfo> caches;
  for (int i = 0;; ++i) {
    const std::string dir = sysfs_root + "/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    const std::string type = read_first_line(dir + "type");
    if (type.empty()) break;
    CacheInfo c;
    c.type = type;
    c.level = std::atoi(read_first_line(dir + "level").c_str());
    c.size = parse_cache_size(read_first_line(dir + "size"));
    c.num_sharing = count_cpus(read_first_line(dir + "shared_cpu_list"));
    caches.push_back(c);
  }
  return caches;
}

// Where sysfs has no cache directory (some VMs), glibc still knows the sizes: it reads them
// from CPUID. It does not know which CPUs share a cache, so num_sharing stays unknown (0).
std::vector<CacheInfo> caches_from_sysconf() {
  struct Level {
    int name;
    const char* type;
    int level;
  };
  constexpr Level kLevels[] = {{_SC_LEVEL1_DCACHE_SIZE, "Data", 1},
                               {_SC_LEVEL1_ICACHE_SIZE, "Instruction", 1},
                               {_SC_LEVEL2_CACHE_SIZE, "Unified", 2},
                               {_SC_LEVEL3_CACHE_SIZE, "Unified", 3}};
  std::vector<CacheInfo> caches;
  for (const Level& l : kLevels) {
    const long size = ::sysconf(l.name);
    if (size > 0) caches.push_back({l.type, l.level, size, 0});
  }
  return caches;
}

std::string iso_date() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  ::localtime_r(&now, &local);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S%z", &local);
  const std::string s = buffer;  // +0000 -> +00:00, as Google Benchmark writes it
  return s.substr(0, s.size() - 2) + ":" + s.substr(s.size() - 2);
}

}  // namespace

RunContext collect_context(int argc, char** argv, const std::string& sysfs_root) {
  RunContext c;
  c.date = iso_date();
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  c.host_name = host;
  c.executable = argc > 0 ? argv[0] : "sharebench";
  for (int i = 0; i < argc; ++i) {
    if (i > 0) c.command_line += ' ';
    c.command_line += argv[i];
  }
  c.num_cpus = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  c.mhz_per_cpu = std::atof(cpuinfo_field("cpu MHz").c_str());
  c.cpu_model = cpuinfo_field("model name");
  utsname u{};
  if (::uname(&u) == 0) c.kernel = std::string(u.sysname) + " " + u.release;
  c.caches = caches_from_sysfs(sysfs_root);
  if (c.caches.empty()) c.caches = caches_from_sysconf();
  double load[3] = {};
  if (::getloadavg(load, 3) == 3) c.load_avg.assign(load, load + 3);
  c.scaling_governor = read_first_line(sysfs_root + "/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  c.build_type = build_info::kBuildType;
  c.compiler = build_info::kCompiler;
  c.compile_flags = build_info::kCompileFlags;
  c.sanitizers = build_info::kSanitizers;
  c.git_revision = build_info::kGitRevision;
  c.git_dirty = build_info::kGitDirty;
  return c;
}

Calibration measure_calibration() {
  constexpr std::size_t kKeys = 200'000;
  std::unordered_map<std::string, std::string> map;
  map.reserve(kKeys);
  std::vector<std::string> keys;
  keys.reserve(kKeys);
  for (std::size_t i = 0; i < kKeys; ++i) {
    keys.push_back(std::to_string(2 * i));
    map.emplace(keys.back(), std::string(32, 'v'));
  }
  std::mt19937_64 rng(1);
  std::vector<std::uint32_t> order(1 << 20);
  for (auto& o : order) o = static_cast<std::uint32_t>(rng() % kKeys);
  // A shared machine's interference only ever slows a sample down, so after one warm-up
  // sample (caches, TLB) the best of a few short ones is the most repeatable estimate of
  // what this machine can do; a single long sample varied 2x from run to run here. Five
  // rounds of the best of two (the cost of the nine samples measured before) give a median
  // that one burst cannot move and a spread to judge a --normalize by.
  using Clock = std::chrono::steady_clock;
  constexpr int kRounds = 5;
  constexpr int kSamplesPerRound = 2;
  std::size_t lookups = 0;
  std::size_t found_bytes = 0;
  auto sample = [&] {
    const auto start = Clock::now();
    std::size_t sample_lookups = 0;
    while (Clock::now() - start < std::chrono::milliseconds(25)) {
      for (std::size_t i = 0; i < 16384; ++i, ++lookups, ++sample_lookups) {
        found_bytes += map.find(keys[order[lookups & (order.size() - 1)]])->second.size();
      }
    }
    return static_cast<double>(sample_lookups) / std::chrono::duration<double>(Clock::now() - start).count();
  };
  sample();  // warm-up
  Calibration c;
  for (int round = 0; round < kRounds; ++round) {
    double best = 0;
    for (int s = 0; s < kSamplesPerRound; ++s) best = std::max(best, sample());
    c.rounds.push_back(best);
  }
  asm volatile("" : : "r"(found_bytes));
  const Aggregate a = aggregate(c.rounds);
  c.lookups_per_second = a.median;
  c.min = *std::min_element(c.rounds.begin(), c.rounds.end());
  c.max = *std::max_element(c.rounds.begin(), c.rounds.end());
  c.cv = a.cv;
  return c;
}

// "sharebench 0.1.0 (git 1a2b..., RelWithDebInfo build)"; "-dirty" after a revision built
// with uncommitted changes.
std::string version_text() {
  const std::string build_type = *build_info::kBuildType != '\0' ? build_info::kBuildType : "no build type";
  return std::string("sharebench ") + build_info::kVersion + " (git " + build_info::kGitRevision +
         (build_info::kGitDirty ? "-dirty" : "") + ", " + build_type + " build)";
}

}  // namespace sharebench
