#!/usr/bin/env bash
# What a platform's ingest sees while a serve process stores a bank snapshot (docs/banks.md,
# "Storage: the database's shared banks"): ENTRIES random PDQ hashes are imported into a bank in
# the database from the command line (which stores the first snapshot), a `serve
# --banks-in-database` process starts from it, one client posts an item every 20 ms and times
# each request, and after 5 s MORE hashes are imported through that process's API (MORE is at
# least a tenth of ENTRIES, so a snapshot of the whole set is then due and stored by it).
# Prints the requests' latencies (p50, p99, max), those over 100 ms with when they were sent
# (seconds after the import was sent), and the process's log line for the snapshot.
# BULWARK_IMPORT_VIA=cli imports the MORE hashes from the command line instead, into the database
# the process is serving (the process then reads them from the bank log); BULWARK_PROBE_SECONDS
# (40) is how long the client posts. The process's resident memory (VmRSS, and its peak so far,
# VmHWM) is printed once it listens and again at the end, after the snapshot.
#   scripts/bench-bank-snapshot.sh [DATABASE=a new SQLite file | postgres://…/EMPTY_DB] [ENTRIES=1000000] [MORE=110000]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-server-lib.sh
DB=${1:-$WORK/banks.sqlite}
ENTRIES=${2:-1000000}
MORE=${3:-110000}
VIA=${BULWARK_IMPORT_VIA:-api}
PROBE_SECONDS=${BULWARK_PROBE_SECONDS:-40}
PORT=18400
python3 - "$ENTRIES" "$MORE" "$WORK" <<'PY'
import random, sys
entries, more, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(42)
for name, n in (("entries.csv", entries), ("more.csv", more)):
    with open(f"{work}/{name}", "w") as f:
        for _ in range(n):
            f.write("%064x\n" % rng.getrandbits(256))
PY
"$BIN" bank create big --database "$DB" >/dev/null
t0=$(date +%s%3N)
"$BIN" bank import big "$WORK/entries.csv" --format hash-labels --type pdq --database "$DB"
echo "imported $ENTRIES entries from the command line in $(( ($(date +%s%3N) - t0) / 1000 )) s"
LEAD=$("$BIN" keys create --database "$DB" --name bench-lead --role lead | awk '{print $NF}')
INGEST=$("$BIN" keys create --database "$DB" --name bench-ingest --role ingest | awk '{print $NF}')
"$BIN" serve --database "$DB" --port $PORT --no-sample --banks-in-database > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 1200); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
grep -o "banks loaded from[^\"]*" "$WORK/serve.log" | head -1
memory() { echo "serve $1: $(grep -E '^(VmRSS|VmHWM)' /proc/$SERVER/status | tr -s ' \t\n' ' ')"; }
memory "listening"
python3 scripts/ingest-probe.py post "$PORT" "$INGEST" "$WORK/probe.txt" --seconds "$PROBE_SECONDS" &
PROBE=$!
sleep 5
SENT=$(date +%s.%N)
if [ "$VIA" = cli ]; then
    /usr/bin/time -f "imported $MORE entries from the command line in %e s, peak RSS %M KiB" \
        "$BIN" bank import big "$WORK/more.csv" --format hash-labels --type pdq --database "$DB" >/dev/null
else
    curl -s -o /dev/null -w "imported $MORE entries through the API: HTTP %{http_code} in %{time_total} s\n" \
        -X POST "http://127.0.0.1:$PORT/v1/banks/big/import?format=hash-labels&type=pdq" \
        -H "Authorization: Bearer $LEAD" -H "Content-Type: text/plain" --data-binary @"$WORK/more.csv"
fi
wait $PROBE
python3 scripts/ingest-probe.py summary "$WORK/probe.txt" --sent "$SENT"
grep -E "bank snapshot|bank changes applied" "$WORK/serve.log" | sed 's/^.*info bulwark: //' | head -4
memory "at the end"
