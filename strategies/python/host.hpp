// Where the py-* strategies' Python runs: in Debian's python3.11 process itself.
//
// Debian's /usr/bin/python3.11 is one link-time-optimised program; the static libpython it
// ships beside it is the same code without that last step, and runs Python code about a fifth
// slower here (the plain loop of bench/python_baseline.py: 0.81x). Embedding it would charge
// every py-* figure for a build Python users do not run. So a run with a Python strategy
// re-executes itself, before anything is built, as python3.11 loading sharebench's host module
// (a Python extension module holding all of sharebench, host_module.cpp), which runs the same
// command line in the same process (the pid stays). The sanitizer builds have no host module
// and embed the interpreter (interpreter.hpp).
#pragma once

#include <string>
#include <string_view>

namespace sharebench::python {

// The py-* rows and python:PATH.
bool is_python_strategy(std::string_view name);

// Replaces this process with python3.11 running the host module on this command line, unless
// it is that process already or this build has no host module: then it returns. Throws Error
// if the host module is missing from the build or python3.11 cannot be run.
void run_in_python_host(int argc, char** argv);

// The host module's first step in python3.11: makes this process what an embedding one is
// (the signal dispositions python3.11 set undone, the GIL released for the C++ that follows).
// Call with the GIL held, once.
void begin_hosting();
bool hosted();  // begin_hosting() was called: this process is python3.11

// For the report's context: "hosted" or "embedded" (libpython linked into sharebench).
std::string python_runtime();
std::string python_executable();

}  // namespace sharebench::python
