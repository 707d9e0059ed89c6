#!/usr/bin/env bash
# tests/install/build_embed_installed.sh: the library as a consumer sees it.
# Installs a configured and built tree into a temporary DESTDIR, checks that
# every public header, library and sio-serverless.pc is there, builds
# examples/embed as a separate meson project that finds the library through
# pkg-config only, and runs tests/integration/embed.test.mjs against that
# binary.
#
#   tests/install/build_embed_installed.sh BUILD_DIR SOURCE_DIR [WORK_DIR]
set -euo pipefail

build=$(cd "${1:?usage: $0 BUILD_DIR SOURCE_DIR [WORK_DIR]}" && pwd)
src=$(cd "${2:?usage: $0 BUILD_DIR SOURCE_DIR [WORK_DIR]}" && pwd)
work=${3:-$build/install-embed-test}
# The one compile here runs with 2 jobs (a few dozen seconds).
jobs=${SIO_INSTALL_TEST_JOBS:-2}

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }

rm -rf "$work"
mkdir -p "$work"
dest=$work/destdir

# Options of the tree being installed: where it installs, and whether its
# static libraries need the sanitizer runtime when linked.
opt() {
  meson introspect "$build" --buildoptions | python3 -c '
import json, sys
for o in json.load(sys.stdin):
    if o["name"] == sys.argv[1]:
        print(o["value"])' "$1"
}
prefix=$(opt prefix)
libdir=$(opt libdir)
includedir=$(opt includedir)
sanitize=$(opt b_sanitize)
case "$libdir" in /*) ;; *) libdir=$prefix/$libdir ;; esac
case "$includedir" in /*) ;; *) includedir=$prefix/$includedir ;; esac

step "meson install --destdir $dest"
# --no-rebuild: this runs inside `meson test`, which has built already.
meson install -C "$build" --destdir "$dest" --no-rebuild --quiet

step "checking the installed files"
inc=$dest$includedir/sio-serverless
missing=0
while IFS= read -r hdr; do
  if [ ! -f "$inc/$hdr" ]; then
    echo "not installed: $hdr (add it to install_headers in its meson.build)" >&2
    missing=$((missing + 1))
  fi
done < <(cd "$src" && find lib actors -name '*.hpp' | sort)
[ "$missing" -eq 0 ] || fail "$missing public header(s) not installed"
if [ -n "$(find "$inc" -type f ! -name '*.hpp')" ]; then
  fail "non-header files installed under $inc: $(find "$inc" -type f ! -name '*.hpp' | head -3)"
fi
pcdir=$dest$libdir/pkgconfig
[ -f "$pcdir/sio-serverless.pc" ] || fail "sio-serverless.pc not installed in $libdir/pkgconfig"
# Every library the .pc names, and every library the tree builds, is there.
pc_libs=$(sed -n 's/^Libs: //p' "$pcdir/sio-serverless.pc" | grep -o -- '-lsio_[a-z_]*' | sed 's/^-l//')
tree_libs=$(cd "$build" && find lib actors -name 'libsio_*.a' -printf '%f\n' | sed 's/^lib//; s/\.a$//')
for lib in $pc_libs $tree_libs; do
  [ -f "$dest$libdir/lib$lib.a" ] || fail "lib$lib.a not installed in $libdir"
  grep -qx -- "$lib" <<< "$pc_libs" \
    || fail "$lib is built but not in sio-serverless.pc (add it to sio_link_order)"
done
echo "headers: $(find "$inc" -name '*.hpp' | wc -l), libraries ($(echo $pc_libs)) and sio-serverless.pc present"

# The .pc names $prefix paths; the sysroot maps them into the destdir.
export PKG_CONFIG_PATH=$pcdir
export PKG_CONFIG_SYSROOT_DIR=$dest
cflags=$(pkg-config --cflags sio-serverless)
libs=$(pkg-config --libs sio-serverless)
echo "pkg-config --cflags: $cflags"
echo "pkg-config --libs:   $libs"
case " $cflags " in *" -I$inc "*) ;; *) fail "Cflags lack -I$inc" ;; esac
case " $cflags " in *" -DASIO_STANDALONE "*) ;; *) fail "Cflags lack the Asio defines" ;; esac
case " $libs " in *" -lsio_actors "*" -lsio_protocol "*) ;; *) fail "Libs lack the libraries in link order" ;; esac
case " $libs " in *" -lcaf_core "*) ;; *) fail "Libs lack -lcaf_core" ;; esac

step "configuring examples/embed as its own project"
setup_args=(--wrap-mode=nofallback)
if [ -n "$sanitize" ] && [ "$sanitize" != "none" ]; then
  setup_args+=("-Db_sanitize=$sanitize" -Db_lundef=false)
fi
meson setup "$work/build" "$src/examples/embed" "${setup_args[@]}" >"$work/setup.log" 2>&1 \
  || { cat "$work/setup.log" >&2; fail "meson setup of examples/embed"; }
grep -E "Run-time dependency sio-serverless|Dependency sio-serverless" "$work/setup.log" || true
grep -q "sio-serverless found: YES" "$work/setup.log" \
  || { cat "$work/setup.log" >&2; fail "sio-serverless not found through pkg-config"; }

step "building examples/embed (-j$jobs)"
ninja -C "$work/build" -j"$jobs" >"$work/build.log" 2>&1 \
  || { tail -50 "$work/build.log" >&2; fail "building examples/embed against the installed library"; }
# It must have compiled from the installed headers, never from the tree.
# Dependency paths are absolute, or relative to the build directory when a
# compiler wrapper rewrote them (ccache's base_dir): made absolute here.
deps=$(cd "$work/build" && ninja -t deps | while IFS= read -r line; do
  case $line in
    "    /"*) printf '%s\n' "$line" ;;
    "    "?*) printf '    %s\n' "$(realpath -m "${line#    }")" ;;
    *) printf '%s\n' "$line" ;;
  esac
done)
# Here-strings, not pipes: with pipefail, grep -q leaving early can kill
# the writer with SIGPIPE and fail a check that matched.
grep -q "^ *$inc/actors/service.hpp\$" <<< "$deps" \
  || fail "actors/service.hpp did not come from $inc"
if echo "$deps" | grep -E "^ *($src/(lib|actors)/|.*\.\./(lib|actors)/)"; then
  fail "headers above were read from the source tree"
fi
exe=$work/build/sio-embed
[ -x "$exe" ] || fail "no $exe"
if grep -i -E "warning:" "$work/build.log"; then
  fail "warnings while building against the installed headers"
fi

step "node --test embed.test.mjs against $exe"
SIO_EMBED=$exe node --test --test-reporter=tap "$src/tests/integration/embed.test.mjs"
echo "install test passed"
