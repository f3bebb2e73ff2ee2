#!/usr/bin/env bash
# The two figures the capacity plan (docs/capacity.md) is built from, on one machine:
#   r_api: single-item ingest items/s of one API process (`serve --no-workers --banks-in-database`)
#          pinned to ONE core (taskset -c 0), PostgreSQL and wrk pinned to the other core;
#   database load: PostgreSQL's CPU seconds (all its processes, from /proc) per 1,000 items
#          ingested, and its transactions per second (pg_stat_database), during the same run.
#   scripts/bench-capacity.sh [DURATION=30] [CONNECTIONS=32]
#   BULWARK_LOAD_PLAIN=1 scripts/bench-capacity.sh   (text only: no author, no container)
# Needs 2 cores, PostgreSQL (scripts/postgres.sh) and wrk; builds the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-30}"
CONNECTIONS="${2:-32}"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
source scripts/bench-server-lib.sh
new_postgres_database capacity
PORT=18095
. scripts/load/texts.sh
write_load_texts "$BIN" "$WORK/texts.txt"
KEY=$("$BIN" keys create --database "$DB" --name load --role ingest | awk '{print $NF}')
taskset -c 0 "$BIN" serve --database "$DB" --port $PORT --no-sample --no-workers --banks-in-database > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
# PostgreSQL (every process of the cluster, new backends inherit it from the postmaster) on core 1.
for pid in $(pgrep -f "postgres"); do taskset -a -p 2 "$pid" >/dev/null 2>&1 || true; done
pgcpu() {
    local total=0
    for pid in $(pgrep -f "postgres"); do
        # utime + stime, in clock ticks (fields 14 and 15 of /proc/PID/stat).
        t=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
        total=$((total + t))
    done
    echo "$total"
}
xacts() { psql -h 127.0.0.1 -U bulwark -d "$DBNAME" -XtAqc "SELECT xact_commit FROM pg_stat_database WHERE datname = '$DBNAME'"; }
CPU0=$(pgcpu)
X0=$(xacts)
S0=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
BULWARK_LOAD_PLAIN=${BULWARK_LOAD_PLAIN:-0} BULWARK_KEY=$KEY BULWARK_CORPUS="$WORK/texts.txt" taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s \
    -s scripts/load/ingest.lua "http://127.0.0.1:$PORT" > "$WORK/wrk.txt"
CPU1=$(pgcpu)
X1=$(xacts)
S1=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
ITEMS=$(psql -h 127.0.0.1 -U bulwark -d "$DBNAME" -XtAqc "SELECT COUNT(*) FROM items")
grep -E "Requests/sec|p50|errors" "$WORK/wrk.txt"
python3 - "$ITEMS" "$CPU0" "$CPU1" "$X0" "$X1" "$DURATION" "$(getconf CLK_TCK)" "$S0" "$S1" <<'PY'
import sys
items, c0, c1, x0, x1, duration, tck, s0, s1 = (float(v) for v in sys.argv[1:])
cpu = (c1 - c0) / tck
api = (s1 - s0) / tck
print(f"API process: {api:.1f} CPU s in {duration:.0f} s ({100 * api / duration:.0f}% of its core), {1000 * api / items:.2f} CPU s per 1,000 items")
print(f"r_api (one core): {items / duration:.0f} items/s stored ({items:.0f} items in {duration:.0f} s)")
print(f"PostgreSQL: {cpu:.1f} CPU s in {duration:.0f} s ({100 * cpu / duration:.0f}% of its core), "
      f"{1000 * cpu / items:.2f} CPU s per 1,000 items; {(x1 - x0) / duration:.0f} commits/s "
      f"({items / max(1, x1 - x0):.1f} items per commit)")
PY
echo "peak RSS of the server: $(grep VmHWM /proc/$SERVER/status | awk '{print $2/1024 " MiB"}')"
