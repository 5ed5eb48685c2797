// sharebench: what is the fastest correct way for N processes on one host to share a
// dictionary? See harness/cli.hpp.
#include "harness/cli.hpp"

int main(int argc, char** argv) { return sharebench::command_line(argc, argv); }
