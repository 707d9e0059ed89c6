#!/bin/sh
# Regenerates fixtures.json: starts a throw-away redis-server (127.0.0.1, a
# free port, a temp dir, no persistence), runs gen_fixtures.mjs against it,
# stops the server by its PID.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly no \
  --daemonize no --logfile "$dir/redis.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
i=0
until redis-cli -p "$port" ping >/dev/null 2>&1; do
  i=$((i+1)); [ $i -lt 50 ] || { echo "redis did not start" >&2; exit 1; }
  sleep 0.1
done
node "$here/gen_fixtures.mjs" "redis://127.0.0.1:$port" "${1:-$here/fixtures.json}"
