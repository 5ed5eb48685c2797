#include "common/error.hpp"

#include <cerrno>
#include <cstring>

namespace sharebench {

void throw_errno(const std::string& what) { throw_errno(what, errno); }

void throw_errno(const std::string& what, int error_number) {
  throw Error(what + ": " + std::strerror(error_number));
}

}  // namespace sharebench
