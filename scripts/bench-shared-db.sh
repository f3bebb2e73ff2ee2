#!/usr/bin/env bash
# Two bounds of a scaled-out deployment on one PostgreSQL (docs/capacity.md, "What bounds the plan"):
#  1. the audit chain's append rate with PROCESSES API processes (`serve --no-workers
#     --banks-in-database`), each sent single-hash bank additions by wrk (16 connections each,
#     DURATION s): every addition is an audited change, appended under one advisory lock;
#     the chain is verified afterwards;
#  2. the start-up of a process whose banks are in the database, after ENTRIES random PDQ hashes
#     were imported (files of 100,000, under the 8 MiB body limit): time from start to /healthz
#     (a process reads the newest bank snapshot in the database and replays the bank log's events
#     after it before it listens) and its memory; then the same with no snapshot (the whole log).
#   scripts/bench-shared-db.sh postgres://…/EMPTY_DB [ENTRIES=1000000] [PROCESSES=2] [DURATION=20]
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${1:?"give the URL of an empty PostgreSQL database"}
ENTRIES=${2:-1000000}
PROCESSES=${3:-2}
DURATION=${4:-20}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
swift build -c release --product bulwark 2>&1 | grep -E "error|Build complete" || true
BIN="$(swift build -c release --show-bin-path)/bulwark"
WORK=$(mktemp -d)
PIDS=()
EXTRA=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
KEY=$("$BIN" keys create --database "$DB" --name bench-lead --role lead | awk '{print $NF}')
start() { # PORT LOG: a serve process of the API role; its pid in STARTED
    "$BIN" serve --database "$DB" --port "$1" --no-sample --no-workers --banks-in-database "${EXTRA[@]}" > "$2" 2>&1 &
    STARTED=$!
    PIDS+=("$STARTED")
    for _ in $(seq 1 6000); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null && return 0; sleep 0.05; done
    echo "the server on port $1 did not come up: $(tail -5 "$2")" >&2
    exit 1
}
ms() { date +%s%3N; }

# 1. Audit appends.
for i in $(seq 1 "$PROCESSES"); do start $((18100 + i)) "$WORK/api$i.log"; done
curl -sf -X POST "http://127.0.0.1:18101/v1/banks" -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
    -d '{"name":"load","kind":"block"}' >/dev/null
count() { psql "$DB" -XtAqc "SELECT COUNT(*) FROM audit_log"; }
before=$(count)
t0=$(ms)
LOADS=()
for i in $(seq 1 "$PROCESSES"); do
    BULWARK_KEY=$KEY BULWARK_BANK=load wrk -t1 -c16 -d"${DURATION}s" --timeout 10s -s scripts/load/bank-entries.lua \
        "http://127.0.0.1:$((18100 + i))" > "$WORK/wrk$i.txt" 2>&1 &
    LOADS+=($!)
done
wait "${LOADS[@]}"
t1=$(ms)
after=$(count)
for i in $(seq 1 "$PROCESSES"); do echo "process $i: $(grep -E '^(p50|requests)' "$WORK/wrk$i.txt" | tr '\n' ' ')"; done
echo "audit appends: $((after - before)) in $(( (t1 - t0) / 1000 )) s with $PROCESSES API processes: $(( (after - before) * 1000 / (t1 - t0) )) per second"
"$BIN" audit verify --database "$DB" | tail -1
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
PIDS=()

# 2. Start-up with ENTRIES bank entries in the database.
start 18201 "$WORK/import.log"
python3 - "$ENTRIES" "$WORK" <<'PY'
import random, sys
n, work = int(sys.argv[1]), sys.argv[2]
rng = random.Random(42)
for part in range((n + 99_999) // 100_000):
    with open(f"{work}/part{part:03d}.csv", "w") as f:
        for _ in range(min(100_000, n - part * 100_000)):
            f.write("%064x\n" % rng.getrandbits(256))
PY
curl -sf -X POST "http://127.0.0.1:18201/v1/banks" -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
    -d '{"name":"big","kind":"block"}' >/dev/null
t0=$(ms)
for f in "$WORK"/part*.csv; do
    curl -sf -X POST "http://127.0.0.1:18201/v1/banks/big/import?format=hash-labels&type=pdq" \
        -H "Authorization: Bearer $KEY" -H "Content-Type: text/plain" --data-binary @"$f" >/dev/null
done
t1=$(ms)
echo "imported $ENTRIES PDQ entries in $(( (t1 - t0) / 1000 )) s through one process"
echo "bank log: $(psql "$DB" -XtAqc "SELECT COUNT(*) || ' events, ' || pg_size_pretty(pg_total_relation_size('bank_events')) FROM bank_events")"
# The importing process stores a snapshot of the banks once the log has grown by a tenth since
# the last one (BankSync, every --bank-poll); wait for the one that covers the whole log.
last=$(psql "$DB" -XtAqc "SELECT MAX(seq) FROM bank_events")
for _ in $(seq 1 1200); do
    [ "$(psql "$DB" -XtAqc "SELECT COALESCE(MAX(seq), 0) FROM bank_snapshots")" = "$last" ] && break
    sleep 0.1
done
echo "bank snapshot after the import: $(psql "$DB" -XtAqc "SELECT seq || ' events covered, ' || COUNT(*) || ' parts, ' || pg_size_pretty(SUM(length(bytes))::BIGINT) FROM bank_snapshots GROUP BY seq"), stored $(( ($(ms) - t1) / 1000 )) s after the import ended"
grep -E "bank snapshot stored" "$WORK/import.log" | tail -3 || true
startup() { # RUN WHAT [serve options]: time from start to /healthz, resident and peak memory
    local run=$1 what=$2
    shift 2
    t0=$(ms)
    EXTRA=("$@")
    start $((18210 + run)) "$WORK/start$run.log"
    t1=$(ms)
    EXTRA=()
    echo "start-up $run ($what): $(( t1 - t0 )) ms; resident $(grep VmRSS /proc/$STARTED/status | awk '{print int($2/1024) " MiB"}'), peak $(grep VmHWM /proc/$STARTED/status | awk '{print int($2/1024) " MiB"}'); $(grep -o 'banks loaded from.*ms' "$WORK/start$run.log" | head -1)"
    kill "$STARTED"
    wait "$STARTED" 2>/dev/null || true
}
for run in 1 2; do startup "$run" "the snapshot, then the events after it"; done
# The same without the snapshot: the whole log replayed, as before 2026-12-03.
kill "${PIDS[@]}" 2>/dev/null || true
wait 2>/dev/null || true
PIDS=()
psql "$DB" -Xqc "DELETE FROM bank_snapshots"
startup 3 "no snapshot: the whole log" --bank-snapshot-every 0
