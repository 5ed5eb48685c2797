// Every warning of a run is made here: conditions that make its figures less trustworthy,
// as Google Benchmark's ***WARNING*** lines. The report keeps them; the console prints them.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "harness/report.hpp"

namespace sharebench {

// Before the first cell: the build, oversubscription and frequency scaling of this machine,
// then `input` (what checking the command line found), then objects left by runs that died.
std::vector<std::string> start_warnings(const RunContext& context, std::span<const int> procs,
                                        std::span<const std::string> input);

// After the cells: cells whose repetitions vary, open-loop cells that fell behind their target,
// cells too short for stable figures.
std::vector<std::string> result_warnings(const RunReport& report);

}  // namespace sharebench
