#!/usr/bin/env bash
# PostgreSQL for the tests, idempotently: installs PostgreSQL 15 from Debian's packages if it is
# missing, starts the cluster 15/main on 127.0.0.1:5432 (pg_ctlcluster as the postgres user: works
# as root in a container without systemd), and creates the role bulwark (password bulwark, may
# create databases: each storage test makes a database of its own) and the database bulwark_test.
# A second run finds the server answering as bulwark and does nothing.
#
# The tests read BULWARK_TEST_POSTGRES_URL, by default the server made here.
set -euo pipefail

VERSION=15
CLUSTER=main
PORT=5432
MAX_CONNECTIONS=400
ROLE=bulwark
PASSWORD=bulwark
DATABASE=bulwark_test

ready() {
    command -v psql >/dev/null 2>&1 &&
        PGPASSWORD=$PASSWORD PGCONNECT_TIMEOUT=3 psql -h 127.0.0.1 -p "$PORT" -U "$ROLE" -d "$DATABASE" -XtAqc 'SELECT 1' \
            >/dev/null 2>&1
}

connections() {
    PGPASSWORD=$PASSWORD PGCONNECT_TIMEOUT=3 psql -h 127.0.0.1 -p "$PORT" -U "$ROLE" -d "$DATABASE" -XtAqc \
        'SHOW max_connections' 2>/dev/null || echo 0
}

# Member of pg_signal_backend: a test's DROP DATABASE ... WITH (FORCE) may then end an autovacuum
# worker that happens to be in that database (PostgreSQL refuses the drop otherwise).
signals() {
    PGPASSWORD=$PASSWORD PGCONNECT_TIMEOUT=3 psql -h 127.0.0.1 -p "$PORT" -U "$ROLE" -d "$DATABASE" -XtAqc \
        "SELECT pg_has_role('pg_signal_backend', 'MEMBER')" 2>/dev/null || echo f
}

if ready && [ "$(connections)" -ge "$MAX_CONNECTIONS" ] && [ "$(signals)" = t ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root() { "$@"; }
    as_postgres() { runuser -u postgres -- "$@"; }
else
    as_root() { sudo "$@"; }
    as_postgres() { sudo -u postgres "$@"; }
fi

BIN=/usr/lib/postgresql/$VERSION/bin
if [ ! -x "$BIN/postgres" ] || ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "postgres: installing postgresql-$VERSION from Debian's packages" >&2
    as_root apt-get update -qq
    # Without systemd, the package's own attempt to start the server may fail: that is fine, it is started below.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$VERSION" >/dev/null ||
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

if ! pg_lsclusters -h 2>/dev/null | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { found = 1 } END { exit !found }'; then
    echo "postgres: creating the cluster $VERSION/$CLUSTER on port $PORT" >&2
    as_root pg_createcluster "$VERSION" "$CLUSTER" --port "$PORT" >/dev/null
fi
if [ "$(pg_conftool -s "$VERSION" "$CLUSTER" show port 2>/dev/null || echo "$PORT")" != "$PORT" ]; then
    echo "postgres: moving the cluster $VERSION/$CLUSTER to port $PORT" >&2
    as_root pg_conftool "$VERSION" "$CLUSTER" set port "$PORT"
    as_root pg_ctlcluster "$VERSION" "$CLUSTER" stop >/dev/null 2>&1 || true
fi

# The tests run in parallel, each PostgreSQL store with its own small pool: the default 100
# connections is not enough for the whole suite at once.
if [ "$(pg_conftool -s "$VERSION" "$CLUSTER" show max_connections 2>/dev/null || echo 100)" != "$MAX_CONNECTIONS" ]; then
    echo "postgres: max_connections $MAX_CONNECTIONS for the cluster $VERSION/$CLUSTER" >&2
    as_root pg_conftool "$VERSION" "$CLUSTER" set max_connections "$MAX_CONNECTIONS"
    as_root pg_ctlcluster "$VERSION" "$CLUSTER" stop >/dev/null 2>&1 || true
fi

# The socket directory lives in /run, which a container may start empty.
as_root install -d -m 2775 -o postgres -g postgres /var/run/postgresql
if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c && $4 == "online" { found = 1 } END { exit !found }'; then
    echo "postgres: starting the cluster $VERSION/$CLUSTER" >&2
    as_root pg_ctlcluster "$VERSION" "$CLUSTER" start
fi
for _ in $(seq 1 60); do
    pg_isready -q -h 127.0.0.1 -p "$PORT" && break
    sleep 0.5
done
if ! pg_isready -q -h 127.0.0.1 -p "$PORT"; then
    echo "postgres: the server does not answer on 127.0.0.1:$PORT; its log:" >&2
    tail -n 20 "/var/log/postgresql/postgresql-$VERSION-$CLUSTER.log" >&2 || true
    exit 1
fi

# From /, which the postgres user can read, so psql does not complain about the working directory.
psql_admin() { (cd / && as_postgres psql -p "$PORT" -XtAq -v ON_ERROR_STOP=1 "$@"); }
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
    echo "postgres: creating the role $ROLE" >&2
    psql_admin -c "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD'"
else
    psql_admin -c "ALTER ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD'"
fi
psql_admin -c "GRANT pg_signal_backend TO $ROLE"
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != 1 ]; then
    echo "postgres: creating the database $DATABASE" >&2
    psql_admin -c "CREATE DATABASE $DATABASE OWNER $ROLE"
fi

if ! ready; then
    echo "postgres: cannot log in as $ROLE to $DATABASE on 127.0.0.1:$PORT (check pg_hba.conf)" >&2
    exit 1
fi
echo "postgres: PostgreSQL $VERSION is ready: postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DATABASE" >&2
