#!/usr/bin/env bash
# A local 3-node AkkaChat cluster on a private PostgreSQL journal.
#
#   scripts/run-cluster.sh start    build, start PostgreSQL (scripts/start-postgres.sh) and 3 nodes
#   scripts/run-cluster.sh status   which nodes run, and their logs
#   scripts/run-cluster.sh stop     stop the nodes gracefully (SIGTERM), then PostgreSQL
#
# Node k (1..3) takes clients on 127.0.0.1:470k, cluster traffic on 127.0.0.1:471k and pbm on
# 127.0.0.1:911k (docs/management.md); every node
# lists all three as seeds. Registration codes are revealed (hocon/dev.conf). Logs and pids are in
# $CLUSTER_DIR (default /tmp/akkachat-cluster).
set -euo pipefail
cd "$(dirname "$0")/.."

state="${CLUSTER_DIR:-/tmp/akkachat-cluster}"
nodes=(1 2 3)

start() {
  mkdir -p "$state"
  connection="$(bash scripts/start-postgres.sh)"
  dotnet build src/AkkaChat.Node -c Release -v quiet -nologo >/dev/null
  dll="src/AkkaChat.Node/bin/Release/net10.0/AkkaChat.Node.dll"
  seeds=()
  for k in "${nodes[@]}"; do seeds+=(--seed "127.0.0.1:471$k"); done
  for k in "${nodes[@]}"; do
    if [ -f "$state/node$k.pid" ] && kill -0 "$(cat "$state/node$k.pid")" 2>/dev/null; then
      echo "node $k already runs (pid $(cat "$state/node$k.pid"))"
      continue
    fi
    dotnet "$dll" --config hocon/dev.conf --port "470$k" --remote-port "471$k" "${seeds[@]}" \
      --set "akkachat.node-name = \"node-$k\"" \
      --set 'akkachat.listen.host = "127.0.0.1"' \
      --set "akkachat.management.port = 911$k" \
      --set 'akkachat.storage.provider = postgresql' \
      --set "akkachat.storage.connection-string = \"$connection\"" \
      >"$state/node$k.log" 2>&1 &
    echo $! >"$state/node$k.pid"
    echo "node $k: clients on 127.0.0.1:470$k, pid $!, log $state/node$k.log"
  done
  for k in "${nodes[@]}"; do
    for _ in $(seq 1 120); do
      grep -q "Listening for clients" "$state/node$k.log" 2>/dev/null && break
      sleep 0.5
    done
    grep -q "Listening for clients" "$state/node$k.log" || { echo "node $k did not start; see $state/node$k.log" >&2; exit 1; }
  done
  echo "cluster up: connect clients to 127.0.0.1:4701, :4702 or :4703"
}

stop() {
  for k in "${nodes[@]}"; do
    pidfile="$state/node$k.pid"
    [ -f "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && { echo "node $k did not stop in 30 s; killing it" >&2; kill -KILL "$pid"; }
      echo "node $k stopped"
    fi
    rm -f "$pidfile"
  done
  bash scripts/stop-postgres.sh
}

status() {
  for k in "${nodes[@]}"; do
    pidfile="$state/node$k.pid"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "node $k: running (pid $(cat "$pidfile")), log $state/node$k.log"
    else
      echo "node $k: stopped"
    fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) sed -n '2,10p' "$0"; exit 2 ;;
esac
