#!/usr/bin/env bash
# One command for the custom pipeline example: builds custom-pipeline if
# needed, starts it (hub "chat": auth -> moderation -> webhook dispatcher) with
# the Node upstream of examples/serverless-node, runs demo.mjs through the
# pipeline, then stops both.
#   examples/custom-pipeline/run.sh
# Environment: SIO_BUILD_DIR (default build), SERVICE_PORT (8080),
# UPSTREAM_PORT (7071).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
service_port="${SERVICE_PORT:-8080}"
upstream_port="${UPSTREAM_PORT:-7071}"
build_dir="${SIO_BUILD_DIR:-build}"
scripts/install-deps
[[ -f "$build_dir/build.ninja" ]] || meson setup "$build_dir" >/dev/null
ninja -C "$build_dir" examples/custom-pipeline/custom-pipeline >/dev/null
bin="$build_dir/examples/custom-pipeline/custom-pipeline"

tmp="$(mktemp -d)"
pids=()
cleanup() {
  trap - EXIT
  # The service first: on SIGTERM it still delivers `disconnected` webhooks.
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# The serverless example's config with this example's ports.
node examples/serverless-node/config-for-ports.mjs "$service_port" "$upstream_port" > "$tmp/config.json"

wait_line() {  # file, pattern, pid: bounded wait for a start-up line
  for ((i = 0; i < 200; i++)); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { cat "$1" >&2; return 1; }
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1" >&2; return 1
}

"$bin" --config "$tmp/config.json" --app-token let-me-in --ban spam > "$tmp/service.log" 2>&1 &
service_pid=$!
pids+=("$service_pid")  # stopped first
wait_line "$tmp/service.log" '^connection string: ' "$service_pid"
cs="$(grep -m1 '^connection string: ' "$tmp/service.log" | sed 's/^connection string: //')"
node examples/serverless-node/upstream.mjs --port "$upstream_port" --connection-string "$cs" > "$tmp/upstream.log" 2>&1 &
upstream_pid=$!
pids+=("$upstream_pid")
wait_line "$tmp/upstream.log" '^upstream listening on ' "$upstream_pid"
node "$here/demo.mjs" --upstream "http://127.0.0.1:$upstream_port" --app-token let-me-in
