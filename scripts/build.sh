#!/usr/bin/env bash
# Restore, build and test AkkaChat with the dotnet CLI. build.ps1 runs the same commands.
#
#   scripts/build.sh                 restore, build (Release), run every test
#   scripts/build.sh --fast          skip the slow suites (Category=Slow): end-to-end, kill, cluster
#   scripts/build.sh --filter EXPR   run only the tests matching a dotnet test filter expression
#   scripts/build.sh --no-test       restore and build only
#   scripts/build.sh --debug         build the Debug configuration
#
# Unless --fast, the multi-node tests need PostgreSQL: this script starts a private server with
# scripts/start-postgres.sh (installing Debian's package if missing) and stops it when done.
#
# Unless --fast, the web port's tests need Chromium and promtool: Debian's chromium and prometheus
# packages are installed if missing.
# The node's build runs npm (Node.js 20 or later) to build the web client.
#
# Prints "Tests: N passed, N failed, N skipped" last and exits non-zero on any failure.
set -euo pipefail

cd "$(dirname "$0")/.."

configuration=Release
filter=""
run_tests=1
while [ $# -gt 0 ]; do
  case "$1" in
    --fast) filter="Category!=Slow" ;;
    --filter) shift; filter="${1:?--filter needs an expression}" ;;
    --no-test) run_tests=0 ;;
    --debug) configuration=Debug ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

dotnet restore AkkaChat.sln
dotnet build AkkaChat.sln --no-restore -c "$configuration"

[ "$run_tests" = 1 ] || exit 0

results="$(pwd)/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

# One test assembly at a time (-m:1): the slow suites start node processes and clusters, and on a
# 2-core machine running them side by side would skew their timeouts.
args=(test AkkaChat.sln --no-build -c "$configuration" -m:1 --logger "trx" --results-directory "$results")
[ -n "$filter" ] && args+=(--filter "$filter")

if [ "$filter" != "Category!=Slow" ] && [ -z "${AKKACHAT_TEST_POSTGRES:-}" ]; then
  server="$(bash scripts/start-postgres.sh)"
  export AKKACHAT_TEST_POSTGRES="${server/Database=akkachat/Database=postgres}"
  trap 'bash scripts/stop-postgres.sh >/dev/null 2>&1 || true' EXIT
fi

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)              # the browser tests
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)  # promtool checks /metrics
if [ "$filter" != "Category!=Slow" ] && [ ${#missing[@]} -gt 0 ]; then
  echo "build.sh: installing ${missing[*]} (Debian packages) for the web port's tests" >&2
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
fi

status=0
# The web client's own unit tests (vitest: the protobuf codec and frame table); the node's build has
# installed its packages.
(cd src/AkkaChat.WebClient && npm test --silent) || status=$?
dotnet "${args[@]}" || status=$?

# One closing line for every runner: the totals over all test assemblies' TRX files.
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get notExecuted)))
done
echo "Tests: $passed passed, $failed failed, $skipped skipped"

if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then
  exit 1
fi
if [ "$passed" -eq 0 ]; then
  echo "build.sh: no test ran" >&2
  exit 1
fi
