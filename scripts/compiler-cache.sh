# Sourced by scripts/build and scripts/regression-check: sets compiler_cache_args, the CMake
# options that put ccache in front of the compiler (none if ccache is not installed).
# The cache is build-ccache/ in this tree. Paths are hashed relative to the build directory,
# so the gate's baseline tree, laid out as this one (its build/ inside its sources), reuses
# every object whose source did not change: its build then costs little more than its link.
compiler_cache_args=()
if command -v ccache >/dev/null 2>&1; then
  _root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  compiler_cache_args=(
    "-DCMAKE_CXX_COMPILER_LAUNCHER=env;CCACHE_DIR=$_root/build-ccache;CCACHE_BASEDIR=$_root;CCACHE_NOHASHDIR=1;ccache")
  unset _root
fi
