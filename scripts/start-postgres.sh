#!/usr/bin/env bash
# Starts a private PostgreSQL server for a multi-node AkkaChat cluster, without Docker:
# installs Debian's postgresql package if it is missing, creates a cluster directory on first use,
# starts the server on 127.0.0.1, creates the akkachat database, and prints its connection string.
#
#   scripts/start-postgres.sh                 data in /tmp/akkachat-pg, port 5433
#   PGDATA_DIR=DIR PGPORT=N scripts/start-postgres.sh
#   scripts/stop-postgres.sh                  stops it (same variables)
set -euo pipefail

dir="${PGDATA_DIR:-/tmp/akkachat-pg}"
port="${PGPORT:-5433}"

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "start-postgres: installing postgresql (Debian package)" >&2
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2
fi
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"

# PostgreSQL refuses to run as root: run it as the postgres user the package created.
if [ "$(id -u)" = 0 ]; then
  run() { runuser -u postgres -- "$@"; }
else
  run() { "$@"; }
fi

if [ ! -f "$dir/PG_VERSION" ]; then
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  chmod 700 "$dir"
  run "$bin/initdb" -D "$dir" -U akkachat --auth=trust --encoding=UTF8 >/dev/null
fi

if ! run "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
  run "$bin/pg_ctl" -D "$dir" -w -t 60 -l "$dir/server.log" \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >&2
fi

if ! run "$bin/psql" -h 127.0.0.1 -p "$port" -U akkachat -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='akkachat'" | grep -q 1; then
  run "$bin/createdb" -h 127.0.0.1 -p "$port" -U akkachat akkachat
fi

echo "Host=127.0.0.1;Port=$port;Database=akkachat;Username=akkachat"
