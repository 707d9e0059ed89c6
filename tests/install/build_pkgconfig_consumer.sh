#!/usr/bin/env bash
# tests/install/build_pkgconfig_consumer.sh: the library through
# sio-serverless.pc. Installs the tree into a temporary DESTDIR, checks the
# installed static libraries and what the .pc gives (Cflags: the include
# directory and no define; Libs: the libraries in link order), builds
# cmake-consumer/main.cpp with nothing but the compiler and
# `pkg-config --cflags --libs --static sio-serverless`, and runs it (it
# starts a service and checks GET /health answers 200).
#
#   tests/install/build_pkgconfig_consumer.sh BUILD_DIR SOURCE_DIR [WORK_DIR]
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=install_destdir.sh
source "$here/install_destdir.sh" "$1" "$2" "${3:-$1/install-pkgconfig-test}"

pc=$lib_dir/pkgconfig/sio-serverless.pc
[ -f "$pc" ] || fail "sio-serverless.pc not installed in $lib_dir/pkgconfig"
step "$pc"
cat "$pc"

step "checking the .pc"
# shellcheck disable=SC2016  # the literal text of the file
grep -qx 'Cflags: -I${includedir}' "$pc" || fail "Cflags is not exactly -I\${includedir}"
# Every library the .pc names, and every library the tree builds, is installed.
pc_libs=$(sed -n 's/^Libs: //p' "$pc" | grep -o -- '-lsio_[a-z_]*' | sed 's/^-l//')
tree_libs=$(cd "$build" && find lib actors -name 'libsio_*.a' -printf '%f\n' | sed 's/^lib//; s/\.a$//')
[ -n "$tree_libs" ] || fail "no libsio_*.a in $build"
for lib in $pc_libs $tree_libs; do
  [ -f "$lib_dir/lib$lib.a" ] || fail "lib$lib.a not installed in $lib_dir"
  grep -qx -- "$lib" <<< "$pc_libs" \
    || fail "$lib is built but not in sio-serverless.pc (add it to sio_link_order)"
done

# The .pc names $prefix paths; the sysroot maps them into the destdir.
export PKG_CONFIG_PATH=$lib_dir/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$dest
read -r -a cflags <<< "$(pkg-config --cflags sio-serverless)"
read -r -a libs <<< "$(pkg-config --libs --static sio-serverless)"
echo "pkg-config --cflags:         ${cflags[*]}"
echo "pkg-config --libs --static:  ${libs[*]}"
echo "pkg-config --print-requires: $(pkg-config --print-requires sio-serverless | tr '\n' ' ')"
[ "${cflags[0]:-}" = "-I$include_dir" ] || fail "Cflags do not start with -I$include_dir"
for flag in "${cflags[@]}"; do
  case $flag in -I*) ;; *) fail "Cflags give $flag: an application gets include directories only" ;; esac
done
case " ${libs[*]} " in *" -lsio_actors "*" -lsio_protocol "*) ;; *) fail "Libs lack the libraries in link order" ;; esac
for lib in -lcaf_core -lhttp_parser -lhiredis -lspdlog -lssl -lcrypto; do
  case " ${libs[*]} " in *" $lib "*) ;; *) fail "Libs (--static) lack $lib" ;; esac
done

step "building cmake-consumer/main.cpp with pkg-config's flags"
exe=$work/sio-consumer
"${cxx[@]}" -std=c++17 -Wall -Wextra "${san_flags[@]}" -MD -MF "$work/consumer.d" \
  "${cflags[@]}" "$src/tests/install/cmake-consumer/main.cpp" -o "$exe" "${libs[@]}" \
  >"$work/build.log" 2>&1 \
  || { tail -50 "$work/build.log" >&2; fail "building the consumer against the installed library"; }
if grep -E "warning:" "$work/build.log"; then
  fail "warnings while building against the installed headers"
fi
grep -q -- "$include_dir/sio/sio.hpp" "$work/consumer.d" \
  || fail "<sio/sio.hpp> did not come from $include_dir"
if grep -E "$src/(lib|actors)/" "$work/consumer.d"; then
  fail "headers above were read from the source tree"
fi

step "running $exe"
timeout 120 "$exe" || fail "the consumer failed (exit $?)"
echo "install-pkgconfig passed"
