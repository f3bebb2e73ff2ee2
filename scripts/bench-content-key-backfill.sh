#!/usr/bin/env bash
# What `serve` does on a database upgraded from before schema version 13 (README, "copies decided
# together"): CASES cases without content keys (items of about 100 bytes of text, a tenth with
# media) are written into a new SQLite file with SQL, the setting `content_keys_backfill` set to
# `pending` as schema version 14 sets it, and `serve` started. Prints the seconds to listening,
# the process's log line for the keys given, and the latencies of one client posting an item
# every 20 ms from when the process listens until the keys are given.
#   scripts/bench-content-key-backfill.sh [CASES=200000] [sqlite|postgres]
# With `postgres`, a new database on the server of scripts/postgres.sh (dropped afterwards), the
# same rows written by the server itself, then vacuumed and analysed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-server-lib.sh
CASES=${1:-200000}
BACKEND=${2:-sqlite}
PORT=18410
new_database "$BACKEND" backfill
INGEST=$("$BIN" keys create --database "$DB" --name bench-ingest --role ingest | awk '{print $NF}')
if [ "$BACKEND" = postgres ]; then
  # Eighteen words of the same list (chosen from the row's number, not at random) and the number.
  psql "$DB" -Xq <<SQL
INSERT INTO items (platform, external_id, text, urls, received_at, decision, score, language, verdict, media_count)
  SELECT 'bulk', 'b-' || i,
         (SELECT string_agg((ARRAY['the','a','of','news','report','city','council','weather','match','tonight','market',
                                   'price','vote','road','river','school'])[1 + (i * 7 + k * 13) % 16], ' ')
          FROM generate_series(1, 18) AS k) || ' ' || i,
         '[]', 1790000000, 'review', 0.5, 'en', '{}', CASE WHEN i % 10 = 0 THEN 1 ELSE 0 END
  FROM generate_series(1, $CASES) AS i;
INSERT INTO cases (item_id, source, status, base_priority, created_at, updated_at)
  SELECT id, 'engine', 'open', 0.5, 1790000000, 1790000000 FROM items WHERE platform = 'bulk' ORDER BY id;
UPDATE cases SET content_key = NULL;
INSERT INTO settings (key, value) VALUES ('content_keys_backfill', 'pending')
  ON CONFLICT (key) DO UPDATE SET value = 'pending';
VACUUM ANALYZE items; VACUUM ANALYZE cases;
SQL
  echo "$CASES cases without content keys written"
else
python3 - "$DB" "$CASES" <<'PY'
import random, sqlite3, sys
db, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
words = "the a of news report city council weather match tonight market price vote road river school".split()
c = sqlite3.connect(db)
with c:
    for i in range(1, n + 1):
        text = " ".join(rng.choice(words) for _ in range(18)) + f" {i}"
        cur = c.execute(
            "INSERT INTO items (platform, external_id, text, urls, received_at, decision, score, language, verdict, media_count)"
            " VALUES ('bulk', ?, ?, '[]', 1790000000, 'review', 0.5, 'en', '{}', ?)",
            (f"b-{i}", text, 1 if i % 10 == 0 else 0))
        c.execute(
            "INSERT INTO cases (item_id, source, status, base_priority, created_at, updated_at)"
            " VALUES (?, 'engine', 'open', 0.5, 1790000000, 1790000000)", (cur.lastrowid,))
    c.execute("UPDATE cases SET content_key = NULL")
    c.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('content_keys_backfill', 'pending')")
print(f"{n} cases without content keys written")
PY
fi
t0=$(date +%s%3N)
"$BIN" serve --database "$DB" --port $PORT --no-sample > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 3000); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.02; done
echo "listening $(( $(date +%s%3N) - t0 )) ms after start"
python3 scripts/ingest-probe.py post "$PORT" "$INGEST" "$WORK/probe.txt" --until-in-log "$WORK/serve.log" "content keys given"
python3 scripts/ingest-probe.py summary "$WORK/probe.txt" --label "ingest requests while the keys were given"
grep "content keys given" "$WORK/serve.log" | sed 's/^.*info bulwark: //'
