#!/usr/bin/env bash
# tests/install/check_headers.sh: the installed headers as an application
# sees them. Installs the tree into a temporary DESTDIR and checks that
#  - include/ holds exactly the public headers, lib/sio/*.hpp and
#    actors/sio/*.hpp, as include/sio/*.hpp;
#  - <sio/event_handler.hpp> alone reads no Asio, OpenSSL or lib/http header
#    (the compiler's -H list of the headers it opens);
#  - every public header compiles alone, without warnings, with only the
#    installed include directory (plus CAF, RapidJSON and the standard
#    library from the system): a public header that includes an internal one
#    is an error here.
#
#   tests/install/check_headers.sh BUILD_DIR SOURCE_DIR [WORK_DIR]
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=install_destdir.sh
source "$here/install_destdir.sh" "$1" "$2" "${3:-$1/install-headers-test}"

step "installed files (under $dest)"
(cd "$dest" && find . -type f | sed 's|^\./|/|' | sort)

step "include/ holds exactly the public headers"
expected=$(cd "$src" && find lib/sio actors/sio -maxdepth 1 -name '*.hpp' -printf 'sio/%f\n' | sort)
installed=$(cd "$include_dir" && find . -type f | sed 's|^\./||' | sort)
[ -n "$expected" ] || fail "no public header found in $src/lib/sio and $src/actors/sio"
if [ "$expected" != "$installed" ]; then
  echo "expected (lib/sio, actors/sio):" >&2; echo "$expected" >&2
  echo "installed in $include_dir:" >&2; echo "$installed" >&2
  diff <(echo "$expected") <(echo "$installed") >&2 || true
  fail "the installed headers are not exactly the public ones (install_headers in lib/meson.build, actors/meson.build)"
fi
echo "$(echo "$installed" | wc -l) public headers, nothing else"

compile() {  # compile TU_FILE LOG_FILE [extra flags]: syntax only, in $work
  local tu=$1 log=$2; shift 2
  (cd "$work" && "${cxx[@]}" -std=c++17 -Wall -Wextra -fsyntax-only -I"$include_dir" "$@" "$tu") \
    >"$log" 2>&1
}

step "<sio/event_handler.hpp> opens no Asio, OpenSSL or lib/http header"
tu=$work/event_handler_only.cpp
printf '#include <sio/event_handler.hpp>\nint main() { return 0; }\n' > "$tu"
compile "$tu" "$work/event_handler_only.log" -H \
  || { cat "$work/event_handler_only.log" >&2; fail "<sio/event_handler.hpp> does not compile alone"; }
# -H prints one line per header opened: dots (the depth), a space, the path.
# Paths are made absolute: a compiler wrapper (ccache's base_dir) may have
# made them relative to the directory the compiler ran in.
opened=$(sed -n 's/^\.\+ //p' "$work/event_handler_only.log" \
  | (cd "$work" && xargs -r -d '\n' realpath -m --))
grep -qx -- "$include_dir/sio/event_handler.hpp" <<< "$opened" \
  || fail "<sio/event_handler.hpp> was not read from $include_dir"
echo "$(wc -l <<< "$opened") headers opened"
if forbidden=$(grep -E '(^|/)asio(/|\.hpp$)|/openssl/|(^|/)lib/http/|^'"$src"'/(lib|actors)/' <<< "$opened"); then
  echo "$forbidden" >&2
  fail "<sio/event_handler.hpp> pulls in the headers above"
fi

step "each public header compiles alone against $include_dir"
failed=0
for hdr in $installed; do
  name=$(basename "$hdr" .hpp)
  tu=$work/alone_$name.cpp
  printf '#include <%s>\n#include <%s>\n' "$hdr" "$hdr" > "$tu"  # twice: include guard
  if ! compile "$tu" "$work/alone_$name.log"; then
    echo "<$hdr> does not compile alone:" >&2
    grep -E 'error|fatal' "$work/alone_$name.log" | head -5 >&2
    failed=$((failed + 1))
  elif grep -q 'warning:' "$work/alone_$name.log"; then
    echo "<$hdr> compiles with warnings:" >&2
    grep 'warning:' "$work/alone_$name.log" | head -5 >&2
    failed=$((failed + 1))
  else
    echo "ok <$hdr>"
  fi
done
[ "$failed" -eq 0 ] || fail "$failed public header(s) do not compile alone against the installed ones"
echo "install-headers passed"
