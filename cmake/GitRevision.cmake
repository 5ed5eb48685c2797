# Run at build time (cmake -P): writes git_revision.hpp with the current revision and
# whether the work tree is dirty, touching the file only when that changes.
execute_process(COMMAND git rev-parse HEAD WORKING_DIRECTORY "${SOURCE_DIR}"
                OUTPUT_VARIABLE revision OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
                RESULT_VARIABLE rev_result)
if(NOT rev_result EQUAL 0)
  set(revision "unknown")
endif()
execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY "${SOURCE_DIR}"
                OUTPUT_VARIABLE status ERROR_QUIET)
if(status STREQUAL "")
  set(dirty false)
else()
  set(dirty true)
endif()
set(content "// Generated at build time by cmake/GitRevision.cmake.
#pragma once
namespace sharebench::build_info {
inline constexpr const char* kGitRevision = \"${revision}\";
inline constexpr bool kGitDirty = ${dirty};
}  // namespace sharebench::build_info
")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT old STREQUAL content)
  file(WRITE "${OUTPUT}" "${content}")
endif()
