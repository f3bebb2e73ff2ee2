#!/usr/bin/env bash
# Runs the test that restarts PostgreSQL under ingest load (PostgresRestartTests) against a
# cluster of its own, 15/restart on 127.0.0.1:5439, made here if missing (as scripts/postgres.sh
# makes 15/main), so other test runs on the shared cluster are not disturbed.
#   scripts/postgres-restart-test.sh   (after `swift build --build-tests`)
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=15
CLUSTER=restart
PORT=5439
if [ "$(id -u)" -eq 0 ]; then as_postgres() { runuser -u postgres -- "$@"; }; as_root() { "$@"; }
else as_postgres() { sudo -u postgres "$@"; }; as_root() { sudo "$@"; }; fi
if ! pg_lsclusters -h | awk -v v=$VERSION -v c=$CLUSTER '$1 == v && $2 == c { f = 1 } END { exit !f }'; then
    as_root pg_createcluster $VERSION $CLUSTER --port $PORT >/dev/null
fi
as_root install -d -m 2775 -o postgres -g postgres /var/run/postgresql
pg_lsclusters -h | awk -v v=$VERSION -v c=$CLUSTER '$1 == v && $2 == c && $4 == "online" { f = 1 } END { exit !f }' ||
    as_root pg_ctlcluster $VERSION $CLUSTER start
for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p $PORT && break; sleep 0.5; done
psql_admin() { (cd / && as_postgres psql -p $PORT -XtAq -v ON_ERROR_STOP=1 "$@"); }
[ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'bulwark'")" = 1 ] ||
    psql_admin -c "CREATE ROLE bulwark LOGIN CREATEDB PASSWORD 'bulwark'"
[ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'bulwark_test'")" = 1 ] ||
    psql_admin -c "CREATE DATABASE bulwark_test OWNER bulwark"
BULWARK_TEST_POSTGRES_URL="postgres://bulwark:bulwark@127.0.0.1:$PORT/bulwark_test" \
    BULWARK_TEST_RESTART_CLUSTER="$VERSION $CLUSTER" \
    swift test --skip-build --filter PostgresRestartTests
