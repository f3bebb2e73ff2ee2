#!/usr/bin/env bash
# Background-job throughput on PostgreSQL (or SQLite) with 1, then 2, `bulwark worker` processes (release
# build): for each count, a fresh database, JOBS items each carrying one image (IMAGE) queued
# through an API process that runs no workers (`serve --no-workers`), a bank of 1,000 PDQ hashes,
# then the workers are started and timed until the queue is empty (jobs done / seconds).
#   scripts/bench-workers.sh [JOBS=2000] [IMAGE=../shared/data/pdq/misc-images/small.jpg]
#   BULWARK_BIN=/path/to/bulwark scripts/bench-workers.sh ...   (that binary, not built here: to alternate two builds)
#   BULWARK_BENCH_STORE=sqlite scripts/bench-workers.sh ...      (a SQLite file, the embedded default, instead)
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${1:-2000}"
IMAGE="${2:-../shared/data/pdq/misc-images/small.jpg}"
STORE="${BULWARK_BENCH_STORE:-postgres}"
[ "$STORE" = postgres ] && scripts/postgres.sh
if [ -n "${BULWARK_BIN:-}" ]; then
    BIN="$BULWARK_BIN"
else
    swift build -c release --product bulwark 2>&1 | grep -E "error|Build complete" || true
    BIN="$(swift build -c release --show-bin-path)/bulwark"
fi
WORK=$(mktemp -d)
PORT=18091
export PGPASSWORD=bulwark
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
python3 - "$IMAGE" "$WORK" "$JOBS" <<'PY'
import base64, json, sys
image, work, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = base64.b64encode(open(image, "rb").read()).decode()
# Requests under the 8 MiB body limit: 100 items, fewer when the image is large.
batch = max(1, min(100, (6 << 20) // (len(data) + 200)))
for b in range(0, jobs, batch):
    items = [{"id": f"img-{n}", "text": "a picture", "media": [{"data": data}]} for n in range(b, min(jobs, b + batch))]
    open(f"{work}/batch-{b // batch:05d}.json", "w").write(json.dumps({"items": items}))
hashes = [("%064x" % (n * 0x9E3779B97F4A7C15 % (1 << 256))) for n in range(1, 1001)]
open(f"{work}/bank.json", "w").write(json.dumps({"type": "pdq", "values": hashes}))
PY
# Jobs of a kind and status as the database counts them.
count() {
    if [ "$STORE" = sqlite ]; then sqlite3 "$DB" "$1"; else psql -h 127.0.0.1 -U bulwark -d "$DBNAME" -XtAqc "$1"; fi
}
for WORKERS in 1 2; do
    DBNAME="bulwark_benchw_$(date +%s)_$WORKERS"
    if [ "$STORE" = sqlite ]; then
        DB="$WORK/$DBNAME.db"
    else
        psql -h 127.0.0.1 -U bulwark -d bulwark_test -XtAqc "CREATE DATABASE $DBNAME"
        DB="postgres://bulwark:bulwark@127.0.0.1:5432/$DBNAME"
    fi
    KEY=$("$BIN" keys create --database "$DB" --name load --role ingest | awk '{print $NF}')
    ADMIN=$("$BIN" keys create --database "$DB" --name admin --role admin | awk '{print $NF}')
    "$BIN" serve --database "$DB" --port $PORT --no-sample --no-workers --banks-in-database --max-queue-depth 0 > "$WORK/api.log" 2>&1 &
    API=$!
    PIDS+=("$API")
    for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
    curl -sf -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -d '{"name":"bench"}' "http://127.0.0.1:$PORT/v1/banks" >/dev/null
    curl -sf -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' --data-binary @"$WORK/bank.json" "http://127.0.0.1:$PORT/v1/banks/bench/entries" >/dev/null
    for f in "$WORK"/batch-*.json; do
        curl -sSf -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' --data-binary @"$f" "http://127.0.0.1:$PORT/v1/items" >/dev/null
    done
    # The retro-hunt queued by the bank entries runs over no stored hashes yet: count media jobs only.
    queued=$(count "SELECT COUNT(*) FROM jobs WHERE kind = 'hash_media' AND status = 'queued'")
    START=$(date +%s.%N)
    WPIDS=()
    for w in $(seq 1 "$WORKERS"); do
        "$BIN" worker --database "$DB" --worker-poll-ms 20 > "$WORK/worker-$w.log" 2>&1 &
        WPIDS+=("$!")
        PIDS+=("$!")
    done
    while [ "$(count "SELECT COUNT(*) FROM jobs WHERE kind = 'hash_media' AND status <> 'done'")" != 0 ]; do sleep 0.2; done
    END=$(date +%s.%N)
    python3 -c "import sys; q, s, e, w = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]; print(f'{w} worker(s): {q} media jobs in {e - s:.1f} s: {q / (e - s):.0f} jobs/s')" "$queued" "$START" "$END" "$WORKERS"
    for p in "${WPIDS[@]}" "$API"; do kill -TERM "$p" 2>/dev/null || true; done
    wait "${WPIDS[@]}" "$API" 2>/dev/null || true
    [ "$STORE" = sqlite ] || psql -h 127.0.0.1 -U bulwark -d bulwark_test -XtAqc "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)"
done
