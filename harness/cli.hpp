// sharebench's command line, whole: what the executable's main() runs, and what the Python
// host module runs inside Debian's python3.11 (strategies/python/host.hpp).
#pragma once

namespace sharebench {

// Parses argv, runs what it asks and returns the exit code: 0 every cell ok or skipped; 1 a
// cell failed; 2 bad input (one line on stderr); 128 + signal when interrupted.
int command_line(int argc, char** argv);

}  // namespace sharebench
