#!/usr/bin/env bash
# Stops the server scripts/start-postgres.sh started (same PGDATA_DIR). Its data stays;
# delete the directory to start from nothing.
set -euo pipefail
dir="${PGDATA_DIR:-/tmp/akkachat-pg}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -n "$bin" ] && [ -f "$dir/PG_VERSION" ] || exit 0
if [ "$(id -u)" = 0 ]; then
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir" -m fast stop || true
else
  "$bin/pg_ctl" -D "$dir" -m fast stop || true
fi
