# sharebench_warnings: an interface target every sharebench target links to.
add_library(sharebench_warnings INTERFACE)
target_compile_options(sharebench_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow
  -Wnon-virtual-dtor -Woverloaded-virtual -Wimplicit-fallthrough)
if(SHAREBENCH_WERROR)
  target_compile_options(sharebench_warnings INTERFACE -Werror)
endif()
