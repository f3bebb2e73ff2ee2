#!/usr/bin/env bash
# The memory and the time of the server's index of removed texts (README, "copies decided
# together"): DECISIONS decisions on cases with content keys (half removals) are written into a
# new SQLite file with SQL and `serve` started, which reads them into the index as it starts
# (`/readyz` answers 503 until then). Prints the process's resident memory when it listens and
# when it is ready, the time from one to the other, and the time of the first two ingest
# requests (a build before 2026-12-04, evening, read the index in the first request; it has no
# readiness wait, and the script then reports it ready at once); then the latency of ingest and
# the process's CPU time while one client posts for 20 s. Also the time of a readiness probe
# (`/readyz`, which a load balancer asks every few seconds) on that database.
#   scripts/bench-removed-texts.sh [DECISIONS=1000000] [sqlite|postgres]
# With `postgres`, a new database on the server of scripts/postgres.sh (dropped afterwards).
# BULWARK_BENCH_ID_HOLES=N leaves an unused decision id after every N (as transactions rolled
# back leave on PostgreSQL): the index then keeps up to 1,000 of them as gaps, asked about again
# by each refresh for 300 s after the decision that follows them, the 20 s of ingest included
# when the decisions are recent: BULWARK_BENCH_DECIDED_AT=$(date +%s) (their time; by default
# 1790000100, long before, so that holes are of long ago: SQLite does not look at them again,
# PostgreSQL asks about them once more, in the first refresh, unless a write transaction under
# way when they were read is still under way).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-server-lib.sh
DECISIONS=${1:-1000000}
BACKEND=${2:-sqlite}
HOLES=${BULWARK_BENCH_ID_HOLES:-0}
DECIDED_AT=${BULWARK_BENCH_DECIDED_AT:-1790000100}
PORT=18411
new_database "$BACKEND" removed
INGEST=$("$BIN" keys create --database "$DB" --name bench-ingest --role ingest | awk '{print $NF}')
if [ "$BACKEND" = postgres ]; then
  # The same rows as the SQLite branch below, written by the server itself (keys: md5 of a
  # number, 32 hex digits).
  psql "$DB" -Xq <<SQL
INSERT INTO items (platform, external_id, text, urls, received_at, decision, score, language, verdict, media_count)
  SELECT 'bulk', 'd-' || i, 'decided text ' || i, '[]', 1790000000, 'review', 0.5, 'en', '{}', 0
  FROM generate_series(1, $DECISIONS) AS i;
INSERT INTO cases (item_id, source, status, base_priority, created_at, updated_at, content_key)
  SELECT id, 'engine', 'closed', 0.5, 1790000000, 1790000000, md5('key ' || id) FROM items WHERE platform = 'bulk';
INSERT INTO decisions (id, case_id, reviewer, action, category, created_at)
  SELECT id + CASE WHEN $HOLES > 0 THEN id / $HOLES ELSE 0 END, id, 'r', CASE WHEN id % 2 = 0 THEN 'remove' ELSE 'no_violation' END,
         CASE WHEN id % 2 = 0 THEN 'incitement' END, $DECIDED_AT
  FROM cases ORDER BY id;
ANALYZE items; ANALYZE cases; ANALYZE decisions;
SQL
  echo "$DECISIONS decisions on keyed cases written"
else
python3 - "$DB" "$DECISIONS" "$HOLES" "$DECIDED_AT" <<'PY'
import random, sqlite3, sys
db, n, holes, decided_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(11)
c = sqlite3.connect(db)
with c:
    for i in range(1, n + 1):
        cur = c.execute(
            "INSERT INTO items (platform, external_id, text, urls, received_at, decision, score, language, verdict, media_count)"
            " VALUES ('bulk', ?, ?, '[]', 1790000000, 'review', 0.5, 'en', '{}', 0)", (f"d-{i}", f"decided text {i}"))
        key = "%032x" % rng.getrandbits(128)
        case = c.execute(
            "INSERT INTO cases (item_id, source, status, base_priority, created_at, updated_at, content_key)"
            " VALUES (?, 'engine', 'closed', 0.5, 1790000000, 1790000000, ?)", (cur.lastrowid, key)).lastrowid
        c.execute(
            "INSERT INTO decisions (id, case_id, reviewer, action, category, created_at) VALUES (?, ?, 'r', ?, ?, ?)",
            (i + (i // holes if holes else 0), case, "remove" if i % 2 == 0 else "no_violation", "incitement" if i % 2 == 0 else None,
             decided_at))
print(f"{n} decisions on keyed cases written")
PY
fi
"$BIN" serve --database "$DB" --port $PORT --no-sample > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 3000); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.02; done
rss() { awk '/VmRSS/ {printf "%.1f MiB", $2 / 1024}' /proc/$SERVER/status; }
echo "listening: RSS $(rss)"
t0=$(date +%s%3N)
for _ in $(seq 1 60000); do [ "$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$PORT/readyz")" = 200 ] && break; sleep 0.01; done
echo "ready $(( $(date +%s%3N) - t0 )) ms after listening: RSS $(rss)"
post() {
  curl -s -o /dev/null -w "%{time_total}" -H "Authorization: Bearer $INGEST" -H "Content-Type: application/json" \
    -d "{\"items\":[{\"id\":\"probe-$1\",\"text\":\"a post about the city council meeting and the market prices this week $1\"}]}" \
    "http://127.0.0.1:$PORT/v1/items"
}
# A readiness probe, 100 times one after another: the median and the slowest, as curl times
# them (connection included).
for _ in $(seq 1 100); do curl -s -o /dev/null -w "%{time_total}\n" "http://127.0.0.1:$PORT/readyz"; done |
  sort -g | awk '{t[NR] = $1} END {printf "readiness probe: median %.2f ms, slowest %.2f ms (100 probes)\n", t[50] * 1000, t[NR] * 1000}'
first=$(post 1)
echo "first ingest request: ${first} s; RSS $(rss)"
second=$(post 2)
echo "next request: ${second} s; RSS $(rss)"
# Then one client posting an item every 20 ms for 20 s: each second one request refreshes the
# index; the process's CPU time over those 20 s.
cpu() { awk '{print $14 + $15}' /proc/$SERVER/stat; }
c0=$(cpu)
python3 scripts/ingest-probe.py post "$PORT" "$INGEST" "$WORK/probe.txt" --seconds 20
c1=$(cpu)
python3 scripts/ingest-probe.py summary "$WORK/probe.txt" --label "ingest for 20 s"
echo "CPU of the process over those 20 s: $(( (c1 - c0) * 1000 / $(getconf CLK_TCK) )) ms"
