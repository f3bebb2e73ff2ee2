#!/usr/bin/env bash
# Soak run (not in CI): one API process (`serve --no-workers --banks-in-database`) and two
# `bulwark worker` processes on one PostgreSQL database, under a steady single-item ingest load
# (wrk, scripts/load/ingest.lua) for DURATION seconds (default 1800: 30 minutes), with a bank entry
# added through the API every minute. Every 30 s it records each process's resident memory
# (VmRSS) and the queue depth from /metrics into soak.csv; at the end it prints the first and last
# samples of each process and fails when a process died or its memory grew by more than
# MAX_GROWTH percent between the end of the first five minutes and the end of the run.
#   scripts/soak.sh [DURATION=1800] [CONNECTIONS=16] [MAX_GROWTH=20]
# Needs PostgreSQL (scripts/postgres.sh) and a release build (made here).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-1800}"
CONNECTIONS="${2:-16}"
MAX_GROWTH="${3:-20}"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
scripts/postgres.sh
swift build -c release --product bulwark 2>&1 | grep -E "error|Build complete" || true
BIN="$(swift build -c release --show-bin-path)/bulwark"
WORK=$(mktemp -d)
DBNAME="bulwark_soak_$(date +%s)"
PGPASSWORD=bulwark psql -h 127.0.0.1 -U bulwark -d bulwark_test -XtAqc "CREATE DATABASE $DBNAME"
DB="postgres://bulwark:bulwark@127.0.0.1:5432/$DBNAME"
PORT=18090
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    PGPASSWORD=bulwark psql -h 127.0.0.1 -U bulwark -d bulwark_test -XtAqc "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)" || true
    echo "samples and logs kept in $WORK" >&2
}
trap cleanup EXIT

. scripts/load/texts.sh
write_load_texts "$BIN" "$WORK/texts.txt"
KEY=$("$BIN" keys create --database "$DB" --name load --role ingest | awk '{print $NF}')
ADMIN=$("$BIN" keys create --database "$DB" --name soak-admin --role admin | awk '{print $NF}')

"$BIN" serve --database "$DB" --port $PORT --no-sample --no-workers --banks-in-database > "$WORK/api.log" 2>&1 &
API=$!
PIDS+=("$API")
"$BIN" worker --database "$DB" > "$WORK/worker-1.log" 2>&1 &
W1=$!
PIDS+=("$W1")
"$BIN" worker --database "$DB" > "$WORK/worker-2.log" 2>&1 &
W2=$!
PIDS+=("$W2")
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
curl -sf -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d '{"name":"soak","labels":["category:dissemination"]}' "http://127.0.0.1:$PORT/v1/banks" >/dev/null

echo "soak: $DURATION s, $CONNECTIONS connections, database $DBNAME; samples in $WORK/soak.csv" >&2
BULWARK_KEY=$KEY BULWARK_CORPUS="$WORK/texts.txt" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s \
    -s scripts/load/ingest.lua "http://127.0.0.1:$PORT" > "$WORK/wrk.txt" 2>&1 &
LOAD=$!
PIDS+=("$LOAD")

rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo dead; }
echo "seconds,api_kib,worker1_kib,worker2_kib,queue_depth" > "$WORK/soak.csv"
START=$(date +%s)
n=0
while kill -0 "$LOAD" 2>/dev/null; do
    sleep 30
    n=$((n + 1))
    depth=$(curl -sf "http://127.0.0.1:$PORT/metrics" | awk '/^bulwark_queue_depth / {print $2}' || echo "?")
    echo "$(( $(date +%s) - START )),$(rss $API),$(rss $W1),$(rss $W2),$depth" >> "$WORK/soak.csv"
    # A bank change every minute, through the API: the workers pick it up from the database.
    if [ $((n % 2)) -eq 0 ]; then
        hash=$(python3 -c 'import os; print(os.urandom(32).hex())')
        curl -sf -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
            -d "{\"type\":\"pdq\",\"values\":[\"$hash\"]}" "http://127.0.0.1:$PORT/v1/banks/soak/entries" >/dev/null || true
    fi
done
cat "$WORK/wrk.txt"
column -s, -t "$WORK/soak.csv" | sed -n '1,3p;$p'

python3 - "$WORK/soak.csv" "$MAX_GROWTH" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
limit = float(sys.argv[2])
ok = True
# The baseline is the sample at five minutes (caches and pools warmed up), else the first.
base = next((r for r in rows if int(r["seconds"]) >= 300), rows[0])
last = rows[-1]
for name in ("api_kib", "worker1_kib", "worker2_kib"):
    if last[name] == "dead" or base[name] == "dead":
        print(f"{name}: the process died"); ok = False; continue
    growth = (int(last[name]) - int(base[name])) * 100 / int(base[name])
    print(f"{name}: {int(base[name]) // 1024} MiB at {base['seconds']} s, {int(last[name]) // 1024} MiB at {last['seconds']} s ({growth:+.1f}%)")
    if growth > limit: ok = False
sys.exit(0 if ok else 1)
PY
