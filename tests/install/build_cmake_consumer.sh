#!/usr/bin/env bash
# tests/install/build_cmake_consumer.sh: the library through its CMake
# package. Installs the tree into a temporary DESTDIR, configures
# cmake-consumer/ (find_package(sio-serverless CONFIG REQUIRED), target
# sio-serverless::sio-serverless) with that prefix, builds it, checks that
# its compile command has the installed include directory and no define, and
# runs it (it starts a service and checks GET /health answers 200).
#
#   tests/install/build_cmake_consumer.sh BUILD_DIR SOURCE_DIR [WORK_DIR]
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=install_destdir.sh
source "$here/install_destdir.sh" "$1" "$2" "${3:-$1/install-cmake-test}"

pkgdir=$lib_dir/cmake/sio-serverless
for f in sio-serverlessConfig.cmake sio-serverlessConfigVersion.cmake; do
  [ -f "$pkgdir/$f" ] || fail "$f not installed in $pkgdir"
done

generator="Unix Makefiles"
if command -v ninja >/dev/null; then generator=Ninja; fi
# The compiler of the tree (its last word: a launcher such as ccache comes first).
compiler=${cxx[${#cxx[@]}-1]}
step "cmake configure (CMAKE_PREFIX_PATH=$prefix_dir, $generator, $compiler)"
cmake -S "$src/tests/install/cmake-consumer" -B "$work/build" -G "$generator" \
  -DCMAKE_PREFIX_PATH="$prefix_dir" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
  -DCMAKE_CXX_COMPILER="$(command -v "$compiler")" \
  -DCMAKE_CXX_FLAGS="${san_flags[*]}" \
  -DCMAKE_EXE_LINKER_FLAGS="${san_flags[*]}" \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
  -DSIO_SERVERLESS_VERSION="$SIO_VERSION" \
  >"$work/configure.log" 2>&1 \
  || { cat "$work/configure.log" >&2; fail "cmake could not configure the consumer"; }
found=$(sed -n 's/^sio-serverless_DIR:PATH=//p' "$work/build/CMakeCache.txt")
echo "sio-serverless_DIR=$found"
[ "$(realpath "$found")" = "$(realpath "$pkgdir")" ] \
  || fail "find_package found sio-serverless in $found, not in $pkgdir"

step "cmake --build (-j$jobs)"
cmake --build "$work/build" -j "$jobs" -- -v >"$work/build.log" 2>&1 \
  || { tail -50 "$work/build.log" >&2; fail "building the consumer against the installed package"; }
if grep -E "warning:" "$work/build.log"; then
  fail "warnings while building against the installed package"
fi
compile_cmd=$(python3 -c '
import json, sys
for c in json.load(open(sys.argv[1])):
    if c["file"].endswith("main.cpp"):
        print(c["command"])' "$work/build/compile_commands.json")
echo "compile: $compile_cmd"
case " $compile_cmd " in
  *" -I$include_dir "*|*" -isystem $include_dir "*) ;;
  *) fail "the compile command lacks $include_dir" ;;
esac
if grep -oE -- ' -D[^ ]*' <<< "$compile_cmd"; then
  fail "the package adds the defines above to the application"
fi
echo "link: $(grep -E -- '-o sio-consumer( |$)' "$work/build.log" | tail -1)"

exe=$work/build/sio-consumer
step "running $exe"
timeout 120 "$exe" || fail "the consumer failed (exit $?)"
echo "install-cmake passed"
