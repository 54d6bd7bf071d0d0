#!/usr/bin/env bash
# The whole suite: installs what is missing, starts a throwaway PostgreSQL and Redis on loopback,
# runs lint, migration checks, the tests on SQLite and on PostgreSQL (browser tests in headless Chromium),
# and schemathesis over the OpenAPI; stops the servers when it ends, pass or fail. It closes on one line
# counting the tests of both runs.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PGPORT=${RAPPORT_TEST_PGPORT:-54329}
REDISPORT=${RAPPORT_TEST_REDISPORT:-63790}
PGROOT=${RAPPORT_TEST_PGROOT:-/tmp/rapport-pg}
REDISPID=${RAPPORT_TEST_REDISPID:-/tmp/rapport-redis.pid}
export PGPORT REDISPORT

need=()
command -v redis-server >/dev/null || need+=(redis-server)
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null || need+=(chromium)
command -v xgettext >/dev/null || need+=(gettext)  # the translation catalogue tests extract and compile
if ((${#need[@]})); then
  echo "installing: ${need[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

stop_services() {
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -d "$PGROOT/data" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGROOT/data" -m immediate stop >/dev/null 2>&1 || true
  [ -f $REDISPID ] && kill "$(cat $REDISPID)" 2>/dev/null || true
  rm -f $REDISPID
}
trap stop_services EXIT

start_services() {
  stop_services
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  rm -rf "$PGROOT"; install -d -o postgres -g postgres -m 700 "$PGROOT"
  runuser -u postgres -- "$PGBIN/initdb" -D "$PGROOT/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGROOT -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
  redis-server --bind 127.0.0.1 --port "$REDISPORT" --save '' --appendonly no --daemonize yes \
    --dir /tmp --pidfile $REDISPID --logfile /tmp/rapport-redis.log
}
start_services

export RAPPORT_TEST_REDIS_URL="redis://127.0.0.1:$REDISPORT/0"
export RAPPORT_HOME
INSTALLED_HOME=${RAPPORT_HOME:-.rapport}
RAPPORT_HOME=$(mktemp -d)
echo "== models (built once, before the tests that score posts)"
# `make install` has just built them under the install's home: reuse them (the build checks their version and
# data fingerprint, and builds again only if they do not match).
[ -d "$INSTALLED_HOME/models" ] && cp -r "$INSTALLED_HOME/models" "$RAPPORT_HOME/"
$BIN/rapport models build --if-data

echo "== ruff"
$BIN/ruff check src tests
echo "== migrations are complete"
$BIN/rapport makemigrations --check --dry-run >/dev/null

echo "== tests on SQLite (with browser tests)"
$BIN/python -m pytest -p no:randomly --junitxml=/tmp/rapport-sqlite.xml "$@"

echo "== tests on PostgreSQL"
DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/rapport" RAPPORT_SECRET_KEY="test-$(head -c 24 /dev/urandom | base64)" \
  $BIN/python -m pytest -m "not browser" --junitxml=/tmp/rapport-pg.xml "$@"

echo "== schemathesis over the OpenAPI"
bash scripts/schemathesis.sh

echo "== summary"
# One closing line over both pytest runs (the junit files), so the whole run reads as one count.
$BIN/python - /tmp/rapport-sqlite.xml /tmp/rapport-pg.xml <<'PY'
import sys
import xml.etree.ElementTree as ET

total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
for path in sys.argv[1:]:
    root = ET.parse(path).getroot()
    for suite in root.iter("testsuite"):
        for key in total:
            total[key] += int(suite.get(key, 0))
failed = total["failures"] + total["errors"]
passed = total["tests"] - failed - total["skipped"]
print(f"rapport: {passed} passed, {failed} failed, {total['skipped']} skipped")
sys.exit(1 if failed or passed == 0 else 0)
PY
