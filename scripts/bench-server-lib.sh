# Sourced (from the project's root) by the bench scripts that start a `serve`: a scratch
# directory $WORK, the release build $BIN (or the binary BULWARK_BIN names, not built here: to
# alternate two builds), and $SERVER (set it to the server's pid), killed with
# $WORK removed when the script exits; and `new_postgres_database NAME`, which sets $DB to a new
# database on the server of scripts/postgres.sh, dropped when the script exits; and
# `new_database BACKEND NAME`, that one for `postgres`, else a new SQLite file in $WORK
# (BENCH_PG_SET="setting = value" sets one setting for the new PostgreSQL database, as
# `ALTER DATABASE ... SET` would on a deployment); and
# `run_series_sql N SQL` (below).
WORK=$(mktemp -d)
if [ -n "${BULWARK_BIN:-}" ]; then
  BIN="$BULWARK_BIN"
else
  swift build -c release --product bulwark 2>&1 | grep -E "error|Build" || true
  BIN="$(swift build -c release --show-bin-path)/bulwark"
fi
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

new_postgres_database() {
  scripts/postgres.sh >/dev/null
  export PGPASSWORD=bulwark
  DBNAME="bulwark_$1_$(date +%s)"
  psql -h 127.0.0.1 -U bulwark -d bulwark_test -XtAqc "CREATE DATABASE $DBNAME"
  if [ -n "${BENCH_PG_SET:-}" ]; then
    psql -h 127.0.0.1 -U bulwark -d bulwark_test -XtAqc "ALTER DATABASE $DBNAME SET $BENCH_PG_SET"
  fi
  DB="postgres://bulwark:bulwark@127.0.0.1:5432/$DBNAME"
  drop_database() {
    cleanup
    psql -h 127.0.0.1 -U bulwark -d bulwark_test -XtAqc "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)" >/dev/null || true
  }
  trap drop_database EXIT
}

new_database() {
  if [ "$1" = postgres ]; then new_postgres_database "$2"; else DB=$WORK/$2.sqlite; fi
}

# Runs SQL (several statements) on $DB ($BACKEND: sqlite or postgres) with a
# temporary table `series` of the integers 1..N (64-bit), then ANALYZE: how the bench scripts
# write their rows in bulk.
run_series_sql() {
  local n=$1 sql=$2
  if [ "$BACKEND" = postgres ]; then
    psql "$DB" -Xq -c "CREATE TEMP TABLE series AS SELECT generate_series(1, $n)::bigint AS i; $sql ANALYZE;"
  else
    python3 - "$DB" "$n" "$sql" <<'PY'
import sqlite3, sys
db, n, sql = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = sqlite3.connect(db)
with c:
    c.execute("CREATE TEMP TABLE series (i INTEGER PRIMARY KEY)")
    c.executemany("INSERT INTO series VALUES (?)", ((i,) for i in range(1, n + 1)))
    c.executescript("BEGIN;" + sql + "COMMIT;")
c.execute("ANALYZE")
PY
  fi
}
