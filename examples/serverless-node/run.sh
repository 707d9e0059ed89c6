#!/usr/bin/env bash
# One command for the serverless upstream example: builds sio-server if
# needed, starts it with config.json (hub "chat", tokens required, webhooks to
# the upstream) and the Node upstream (upstream.mjs), and keeps both running
# until Ctrl-C, which stops both.
#   examples/serverless-node/run.sh          # service :8080, upstream :7071
#   examples/serverless-node/run.sh --demo   # also runs two clients (ann, bob)
#                                            # through the workflow, then stops
# Environment: SIO_SERVER (a built sio-server to use; skips the build),
# SIO_BUILD_DIR (default build), SERVICE_PORT (8080), UPSTREAM_PORT (7071).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"

demo=0
case "${1:-}" in
  "") ;;
  --demo) demo=1 ;;
  -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
esac
service_port="${SERVICE_PORT:-8080}"
upstream_port="${UPSTREAM_PORT:-7071}"
for p in "$service_port" "$upstream_port"; do
  [[ "$p" =~ ^[0-9]+$ ]] && ((p > 0 && p < 65536)) || { echo "ports must be 1-65535" >&2; exit 2; }
done

if [[ -n "${SIO_SERVER:-}" ]]; then
  bin="$SIO_SERVER"
else
  build_dir="${SIO_BUILD_DIR:-build}"
  scripts/install-deps
  [[ -f "$build_dir/build.ninja" ]] || meson setup "$build_dir" >/dev/null
  ninja -C "$build_dir" examples/sio-server/sio-server >/dev/null
  bin="$build_dir/examples/sio-server/sio-server"
fi
[[ -x "$bin" ]] || { echo "no sio-server at $bin" >&2; exit 1; }
[[ -d node_modules/@azure/web-pubsub-express ]] || { echo "node_modules missing: run npm ci in $repo" >&2; exit 1; }

tmp="$(mktemp -d)"
service_pid=""
upstream_pid=""
cleanup() {
  trap - INT TERM EXIT
  # The service first: on SIGTERM it still delivers the sockets' `disconnected`
  # webhooks, which the upstream must be up to receive.
  if [[ -n "$service_pid" ]]; then kill -TERM "$service_pid" 2>/dev/null || true; wait "$service_pid" 2>/dev/null || true; fi
  if [[ -n "$upstream_pid" ]]; then kill -TERM "$upstream_pid" 2>/dev/null || true; wait "$upstream_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# config.json as is, or with other ports (same hub, key and handler).
config="$here/config.json"
if [[ "$service_port" != 8080 || "$upstream_port" != 7071 ]]; then
  config="$tmp/config.json"
  node "$here/config-for-ports.mjs" "$service_port" "$upstream_port" > "$config"
fi

# Waits (bounded) until file $1 has a line matching $2 while pid $3 lives.
wait_line() {
  local i
  for ((i = 0; i < 200; i++)); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { echo "$(basename "$1" .log) exited:" >&2; cat "$1" >&2; return 1; }
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1" >&2
  return 1
}

"$bin" --config "$config" > >(tee "$tmp/service.log" | sed -u 's/^/[service]  /') 2>&1 &
service_pid=$!
wait_line "$tmp/service.log" '^connection string: ' "$service_pid"
connection_string="$(grep -m1 '^connection string: ' "$tmp/service.log" | sed 's/^connection string: //')"

node "$here/upstream.mjs" --port "$upstream_port" --connection-string "$connection_string" \
  > >(tee "$tmp/upstream.log" | sed -u 's/^/[upstream] /') 2>&1 &
upstream_pid=$!
wait_line "$tmp/upstream.log" '^upstream listening on ' "$upstream_pid"

client="node $here/client.mjs --upstream http://127.0.0.1:$upstream_port"
if ((demo)); then
  # ann waits until bob has come, talked and gone; bob runs the workflow once.
  $client --user ann --stay 20 --until "bob left" > >(tee "$tmp/ann.log") 2>&1 &
  ann_pid=$!
  wait_line "$tmp/ann.log" 'listening' "$ann_pid"
  bob_rc=0
  $client --user bob --text "hi ann" || bob_rc=$?
  ann_rc=0
  wait "$ann_pid" || ann_rc=$?
  if ((bob_rc == 0 && ann_rc == 0)); then echo "demo: ok"; else echo "demo: FAILED (ann $ann_rc, bob $bob_rc)"; exit 1; fi
  exit 0
fi

cat <<EOF

The service runs on http://127.0.0.1:$service_port (hub chat, tokens required),
the upstream on http://127.0.0.1:$upstream_port. In another terminal, run the client
workflow (negotiate, connect, emit with ack, notices, disconnect):

  $client --user ann --stay 30
  $client --user bob --text "hi ann"

Ctrl-C stops both.
EOF
# Until Ctrl-C (which the two processes get too), or until either one ends.
wait -n "$service_pid" "$upstream_pid" || true
echo "stopping the service and the upstream" >&2
exit 1
