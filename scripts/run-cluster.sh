#!/usr/bin/env bash
# A local 3-node AkkaChat cluster on a private PostgreSQL journal.
#
#   scripts/run-cluster.sh start      build, start PostgreSQL (scripts/start-postgres.sh) and 3 nodes
#   scripts/run-cluster.sh start --monitor
#                                     the same, plus a Prometheus (Debian's `prometheus`) on
#                                     127.0.0.1:9090 scraping the 3 nodes' /metrics every 5 s, with the
#                                     alert rules of scripts/prometheus/akkachat-alerts.yml
#   scripts/run-cluster.sh status     which nodes run; for a stopped one, why (exit status, last log line)
#   scripts/run-cluster.sh restart N  stop node N (if it runs) and start it again, on the same ports
#   scripts/run-cluster.sh stop       stop the nodes gracefully (SIGTERM), then PostgreSQL
#
# Node k (1..3) takes clients on 127.0.0.1:470k, cluster traffic on 127.0.0.1:471k, pbm on
# 127.0.0.1:911k (docs/management.md) and web (WebSocket, media, /metrics) on 127.0.0.1:478k; every node
# lists all three as seeds. Registration codes are revealed (hocon/dev.conf). Logs and pids are in
# $CLUSTER_DIR (default /tmp/akkachat-cluster): nodeN.log, nodeN.pid, and nodeN.exit, the exit
# status a node ended with (written by the wrapper that runs it).
set -euo pipefail
cd "$(dirname "$0")/.."

state="${CLUSTER_DIR:-/tmp/akkachat-cluster}"
nodes=(1 2 3)

dll="src/AkkaChat.Node/bin/Release/net10.0/AkkaChat.Node.dll"

running() { [ -f "$state/node$1.pid" ] && kill -0 "$(cat "$state/node$1.pid")" 2>/dev/null; }

# Starts node $1 in the background. A wrapper shell waits for the node and records its exit status
# in nodeN.exit, so status can say why a node is gone; nodeN.pid holds the node's own pid.
launch() {
  local k="$1" connection="$2" seeds=()
  for j in "${nodes[@]}"; do seeds+=(--seed "127.0.0.1:471$j"); done
  rm -f "$state/node$k.exit"
  (
    dotnet "$dll" --config hocon/dev.conf --port "470$k" --remote-port "471$k" "${seeds[@]}" \
      --set "akkachat.node-name = \"node-$k\"" \
      --set 'akkachat.listen.host = "127.0.0.1"' \
      --set "akkachat.management.port = 911$k" \
      --set 'akkachat.web.host = "127.0.0.1"' \
      --set "akkachat.web.port = 478$k" \
      --set 'akkachat.storage.provider = postgresql' \
      --set "akkachat.storage.connection-string = \"$connection\"" \
      >"$state/node$k.log" 2>&1 &
    echo $! >"$state/node$k.pid"
    set +e
    wait $!
    echo $? >"$state/node$k.exit"
  ) >/dev/null 2>&1 &
  for _ in $(seq 1 20); do [ -s "$state/node$k.pid" ] && break; sleep 0.1; done
  echo "node $k: clients on 127.0.0.1:470$k, pid $(cat "$state/node$k.pid"), log $state/node$k.log"
}

await_up() {
  local k="$1"
  for _ in $(seq 1 120); do
    grep -q "listening on" "$state/node$k.log" 2>/dev/null && return 0
    running "$k" || break
    sleep 0.5
  done
  echo "node $k did not start: $(tail -n 1 "$state/node$k.log" 2>/dev/null); see $state/node$k.log" >&2
  exit 1
}

start() {
  mkdir -p "$state"
  connection="$(bash scripts/start-postgres.sh)"
  echo "$connection" >"$state/connection"
  dotnet build src/AkkaChat.Node -c Release -v quiet -nologo >/dev/null
  for k in "${nodes[@]}"; do
    if running "$k"; then
      echo "node $k already runs (pid $(cat "$state/node$k.pid"))"
      continue
    fi
    launch "$k" "$connection"
  done
  for k in "${nodes[@]}"; do await_up "$k"; done
  echo "cluster up: connect clients to 127.0.0.1:4701, :4702 or :4703"
  if [ "${1:-}" = "--monitor" ]; then monitor; fi
}

# Prometheus scraping the nodes' /metrics, with the alert rules; its data and log live in $state.
monitor() {
  command -v prometheus >/dev/null || { echo "--monitor needs Prometheus: apt-get install prometheus" >&2; exit 1; }
  if [ -f "$state/prometheus.pid" ] && kill -0 "$(cat "$state/prometheus.pid")" 2>/dev/null; then
    echo "prometheus already runs (pid $(cat "$state/prometheus.pid"))"
    return
  fi
  cp scripts/prometheus/akkachat-alerts.yml "$state/akkachat-alerts.yml"
  {
    echo "global: {scrape_interval: 5s, evaluation_interval: 5s}"
    echo "rule_files: [akkachat-alerts.yml]"
    echo "scrape_configs:"
    echo "  - job_name: akkachat"
    echo "    static_configs:"
    echo "      - targets: [$(for k in "${nodes[@]}"; do printf '"127.0.0.1:478%s"%s' "$k" "$([ "$k" = "${nodes[-1]}" ] || echo ', ')"; done)]"
  } >"$state/prometheus.yml"
  promtool check config "$state/prometheus.yml" >/dev/null
  prometheus --config.file="$state/prometheus.yml" --storage.tsdb.path="$state/prometheus-data" \
    --web.listen-address=127.0.0.1:9090 >"$state/prometheus.log" 2>&1 &
  echo $! >"$state/prometheus.pid"
  for _ in $(seq 1 60); do
    curl -sf http://127.0.0.1:9090/-/ready >/dev/null 2>&1 && break
    sleep 0.5
  done
  curl -sf http://127.0.0.1:9090/-/ready >/dev/null || { echo "prometheus did not start; see $state/prometheus.log" >&2; exit 1; }
  echo "prometheus on http://127.0.0.1:9090 (pid $(cat "$state/prometheus.pid")) scraping 127.0.0.1:4781-4783, log $state/prometheus.log"
}

# Stops node $1 gracefully (SIGTERM; SIGKILL after 30 s).
stop_node() {
  local k="$1" pid
  [ -f "$state/node$k.pid" ] || return 0
  pid="$(cat "$state/node$k.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && { echo "node $k did not stop in 30 s; killing it" >&2; kill -KILL "$pid"; }
    echo "node $k stopped"
  fi
  rm -f "$state/node$k.pid"
}

restart() {
  local k="${1:-}"
  case " ${nodes[*]} " in *" $k "*) ;; *) echo "restart needs a node number: ${nodes[*]}" >&2; exit 2 ;; esac
  [ -f "$state/connection" ] || { echo "the cluster was never started here; run: $0 start" >&2; exit 1; }
  stop_node "$k"
  dotnet build src/AkkaChat.Node -c Release -v quiet -nologo >/dev/null
  launch "$k" "$(cat "$state/connection")"
  await_up "$k"
  echo "node $k up again: clients on 127.0.0.1:470$k"
}

stop() {
  if [ -f "$state/prometheus.pid" ]; then
    kill -TERM "$(cat "$state/prometheus.pid")" 2>/dev/null && echo "prometheus stopped"
    rm -f "$state/prometheus.pid"
  fi
  for k in "${nodes[@]}"; do stop_node "$k"; done
  bash scripts/stop-postgres.sh
}

# Why a node is not running: the exit status its wrapper recorded (killed by a signal: 128+N),
# and the last line it logged (the split brain resolver's downing, an error, ...).
status() {
  for k in "${nodes[@]}"; do
    if running "$k"; then
      echo "node $k: running (pid $(cat "$state/node$k.pid")), log $state/node$k.log"
      continue
    fi
    local why="never started"
    if [ -f "$state/node$k.exit" ]; then
      local code; code="$(cat "$state/node$k.exit")"
      if [ "$code" -gt 128 ]; then
        why="exit status $code (killed by signal $((code - 128)): $(kill -l $((code - 128)) 2>/dev/null || echo '?'))"
      else
        why="exit status $code"
      fi
    elif [ -f "$state/node$k.log" ]; then
      why="exit status unknown"
    fi
    echo "node $k: stopped, $why"
    if [ -s "$state/node$k.log" ]; then echo "  last log line: $(grep -v '^[[:space:]]*$' "$state/node$k.log" | tail -n 1)"; fi
    if [ -f "$state/node$k.log" ]; then echo "  log $state/node$k.log; start it again: $0 restart $k"; fi
  done
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop ;;
  status) status ;;
  restart) restart "${2:-}" ;;
  *) sed -n '2,17p' "$0"; exit 2 ;;
esac
