# shellcheck shell=bash disable=SC2034  # sets variables for the scripts that source it
# tests/install/install_destdir.sh: sourced by the install tests. Installs
# the configured and built tree into WORK_DIR/destdir (meson install
# --destdir) and sets the paths a consumer of that copy sees.
#
#   source install_destdir.sh BUILD_DIR SOURCE_DIR WORK_DIR
#
# The environment names how the tree was configured (tests/install/meson.build
# sets it): SIO_PREFIX, SIO_LIBDIR, SIO_INCLUDEDIR (as meson's options:
# relative to the prefix or absolute), SIO_VERSION, SIO_CXX (the compiler
# command) and SIO_SANITIZE (b_sanitize).
# Sets: build src work dest prefix_dir include_dir lib_dir cxx (array)
#       san_flags (array) jobs; functions fail and step.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }

build=$(cd "${1:?usage: BUILD_DIR SOURCE_DIR WORK_DIR}" && pwd)
src=$(cd "${2:?usage: BUILD_DIR SOURCE_DIR WORK_DIR}" && pwd)
work=${3:?usage: BUILD_DIR SOURCE_DIR WORK_DIR}
: "${SIO_PREFIX:?} ${SIO_LIBDIR:?} ${SIO_INCLUDEDIR:?} ${SIO_VERSION:?} ${SIO_CXX:?}"
# Consumer builds run with 2 jobs (the machines running the tests are shared).
jobs=${SIO_INSTALL_TEST_JOBS:-2}

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
dest=$work/destdir

in_prefix() {
  case "$1" in /*) echo "$1" ;; *) echo "$SIO_PREFIX/$1" ;; esac
}
prefix_dir=$dest$SIO_PREFIX
include_dir=$dest$(in_prefix "$SIO_INCLUDEDIR")
lib_dir=$dest$(in_prefix "$SIO_LIBDIR")
read -r -a cxx <<< "$SIO_CXX"
# Static libraries built with sanitizers need their runtime in the program.
san_flags=()
if [ -n "${SIO_SANITIZE:-}" ] && [ "$SIO_SANITIZE" != none ]; then
  san_flags=("-fsanitize=$SIO_SANITIZE")
fi

step "meson install --destdir $dest"
# --no-rebuild: this runs inside `meson test`, which has built already.
meson install -C "$build" --destdir "$dest" --no-rebuild --quiet
