// The exception every sharebench component throws for a condition a user can act on.
#pragma once

#include <stdexcept>
#include <string>

namespace sharebench {

// A one-line message meant for the user; main() prints it and exits 2 (bad input) or fails
// the cell (a runtime failure).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "what: strerror(errno)", for failed system calls.
[[noreturn]] void throw_errno(const std::string& what);
[[noreturn]] void throw_errno(const std::string& what, int error_number);

}  // namespace sharebench
