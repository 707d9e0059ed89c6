#!/usr/bin/env bash
# A three-node sio-server cluster on one Redis behind nginx, all on
# 127.0.0.1, in a temporary directory; Ctrl-C (or SIGTERM) stops everything.
#   examples/cluster/run.sh            # nginx :8080, nodes :8081-8083, redis :6390
#   NODES=5 PORT=9000 REDIS_PORT=7000 examples/cluster/run.sh
# Clients connect to http://127.0.0.1:$PORT/clients/socketio/hubs/chat (any
# transport); the REST API answers on the same address, from any node.
set -euo pipefail
cd "$(dirname "$0")/../.."
nodes=${NODES:-3}
port=${PORT:-8080}
redis_port=${REDIS_PORT:-6390}
scripts/install-deps >/dev/null
[[ -f build/build.ninja ]] || meson setup build >/dev/null
ninja -C build examples/sio-server/sio-server >/dev/null
server=$PWD/build/examples/sio-server/sio-server

dir=$(mktemp -d /tmp/sio-cluster.XXXXXX)
chmod 755 "$dir"
pids=()
cleanup() {
  trap - EXIT INT TERM
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$dir" --loglevel warning &
pids+=($!)

key=$(openssl rand -base64 32 | tr -d '\n')
any_servers="" node_upstreams="" node_map=""
for ((n = 1; n <= nodes; n++)); do
  node_port=$((port + n))
  cat > "$dir/node$n.json" <<JSON
{
  "listen": {"host": "127.0.0.1", "port": $node_port},
  "publicEndpoint": "http://127.0.0.1:$port",
  "accessKeys": {"primary": "$key"},
  "hubs": {"chat": {"anonymousConnectPolicy": "allow", "inProcessHandler": "chat"}},
  "cluster": {"redis": "redis://127.0.0.1:$redis_port", "nodeId": "n$n"}
}
JSON
  "$server" --config "$dir/node$n.json" > "$dir/node$n.log" 2>&1 &
  pids+=($!)
  any_servers+="    server 127.0.0.1:$node_port;"$'\n'
  node_upstreams+="  upstream n$n { server 127.0.0.1:$node_port; }"$'\n'
  node_map+="    \"~^n$n\\.\" n$n;"$'\n'
done

mkdir -p "$dir/nginx"
python3 - "$dir" "$port" "$any_servers" "$node_upstreams" "$node_map" <<'PY'
import sys
d, port, any_servers, upstreams, node_map = sys.argv[1:]
t = open('examples/cluster/nginx.conf.in').read()
for k, v in {'@DIR@': d + '/nginx', '@PORT@': port, '@ANY_SERVERS@': any_servers.rstrip('\n'),
             '@NODE_UPSTREAMS@': upstreams.rstrip('\n'), '@NODE_MAP@': node_map.rstrip('\n')}.items():
    t = t.replace(k, v)
open(d + '/nginx.conf', 'w').write(t)
PY
nginx -p "$dir/nginx" -c "$dir/nginx.conf" -e stderr &
pids+=($!)

sleep 1
echo "cluster of $nodes nodes on redis://127.0.0.1:$redis_port, behind nginx"
echo "connection string: Endpoint=http://127.0.0.1:$port;AccessKey=$key;Version=1.0;"
echo "client url (hub chat): http://127.0.0.1:$port/clients/socketio/hubs/chat"
echo "logs: $dir/node*.log (Ctrl-C stops everything)"
wait -n "${pids[@]}" || true
echo "a process of the cluster exited; stopping the rest" >&2
