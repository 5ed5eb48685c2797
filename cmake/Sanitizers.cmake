# SHAREBENCH_SANITIZE=address|undefined|thread|address,undefined instruments every target.
set(SHAREBENCH_SANITIZE "" CACHE STRING "Sanitizers: address, undefined, thread, or a comma list")
if(SHAREBENCH_SANITIZE)
  string(REPLACE "," ";" _sanitizers "${SHAREBENCH_SANITIZE}")
  foreach(_s IN LISTS _sanitizers)
    if(NOT _s MATCHES "^(address|undefined|thread)$")
      message(FATAL_ERROR "SHAREBENCH_SANITIZE: unknown sanitizer '${_s}' (use address, undefined, thread)")
    endif()
  endforeach()
  if("thread" IN_LIST _sanitizers AND "address" IN_LIST _sanitizers)
    message(FATAL_ERROR "SHAREBENCH_SANITIZE: thread and address cannot be combined")
  endif()
  set(_flags "-fsanitize=${SHAREBENCH_SANITIZE}" -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_compile_options(${_flags})
  add_link_options(${_flags})
  # After the build type's flags, so these win: -O1, as the sanitizers' authors advise, and line
  # tables only (file:line is all a report prints). With UBSan's checks, nlohmann/json and CLI11
  # code compiled at -O2 -g took twice as long (compare.cpp: 74 s, against 38 s).
  add_compile_options(-O1 -g1)
  if("thread" IN_LIST _sanitizers AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC warns that TSan does not model atomic_thread_fence. Our fences (the seqlocks, the
    # futex wake-ups) order memory between processes, which TSan cannot see anyway; what it
    # checks is the threads inside one process.
    add_compile_options(-Wno-tsan)
  endif()
endif()
