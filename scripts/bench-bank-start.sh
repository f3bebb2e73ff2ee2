#!/usr/bin/env bash
# How long a `serve --banks-in-database` process takes to load ENTRIES PDQ bank entries, and its
# peak memory (docs/banks.md): from the bank snapshot, and from the whole bank log (the snapshot
# deleted before each start, as when none can be used). ENTRIES random hashes are imported from
# the command line into a new database (SQLite, or a new PostgreSQL database on the server of
# scripts/postgres.sh with `postgres`), then the process is started RUNS times each way. Prints,
# per start, the process's "banks loaded" line, the time from start to /readyz and the peak
# resident memory then (VmHWM).
#   scripts/bench-bank-start.sh [sqlite|postgres] [ENTRIES=1000000] [RUNS=2]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-server-lib.sh
KIND=${1:-sqlite}
ENTRIES=${2:-1000000}
RUNS=${3:-2}
PORT=18401
if [ "$KIND" = postgres ]; then
    new_postgres_database bankstart
    delete_snapshot() { psql -h 127.0.0.1 -U bulwark -d "$DBNAME" -XtAqc "DELETE FROM bank_snapshots"; }
else
    DB="$WORK/banks.sqlite"
    delete_snapshot() { python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("DELETE FROM bank_snapshots"); c.commit()' "$DB"; }
fi
python3 - "$ENTRIES" "$WORK/entries.csv" <<'PY'
import random, sys
rng = random.Random(42)
with open(sys.argv[2], "w") as f:
    for _ in range(int(sys.argv[1])):
        f.write("%064x\n" % rng.getrandbits(256))
PY
"$BIN" bank create big --database "$DB" >/dev/null
t0=$(date +%s%3N)
"$BIN" bank import big "$WORK/entries.csv" --format hash-labels --type pdq --database "$DB" | tail -1
echo "imported $ENTRIES entries from the command line in $(( ($(date +%s%3N) - t0) / 1000 )) s"
start() {
    # --bank-snapshot-every 0: the process stores no snapshot of its own.
    "$BIN" serve --database "$DB" --port $PORT --no-sample --no-workers --banks-in-database --bank-snapshot-every 0 \
        > "$WORK/serve.log" 2>&1 &
    SERVER=$!
    local t0 t1
    t0=$(date +%s%N)
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ]; do sleep 0.02; done
    t1=$(date +%s%N)
    echo "$1: $(grep -o 'banks loaded from[^"]*' "$WORK/serve.log" | head -1); ready $(( (t1 - t0) / 1000000 )) ms after start," \
        "peak $(grep VmHWM /proc/$SERVER/status | awk '{print $2}') KB"
    kill "$SERVER"
    wait "$SERVER" 2>/dev/null || true
    SERVER=""
}
for _ in $(seq 1 "$RUNS"); do start "from the snapshot"; done
delete_snapshot
for _ in $(seq 1 "$RUNS"); do start "from the whole log"; done
