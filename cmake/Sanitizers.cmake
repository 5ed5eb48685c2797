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
  if("thread" IN_LIST _sanitizers AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC warns that TSan does not model atomic_thread_fence. Our fences (the seqlocks, the
    # futex wake-ups) order memory between processes, which TSan cannot see anyway; what it
    # checks is the threads inside one process.
    add_compile_options(-Wno-tsan)
  endif()
endif()
