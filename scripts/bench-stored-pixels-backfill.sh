#!/usr/bin/env bash
# What `serve` does on a database upgraded from before schema version 25 (docs/pdq.md, the
# stored pixels' hash), at a size a platform has: PARTS media parts hashed before it (no stored
# pixels' hash), each a photo of PHOTO's bytes (the shared 1600x1004 JPEG of 361 KB unless
# told), every TAGGED_EVERY-th one (0: none) with an EXIF orientation 6 put in front, are
# written with SQL, the setting `stored_pixels_backfill` set to `pending:` and the highest media
# id as schema version 26 sets it, and `serve` started. Prints the seconds to listening, the
# process's log line for the parts read and queued, how many jobs were queued or running at
# most while it ran (sampled every second), and the latencies of one client posting an item
# every 20 ms from when the process listens until the backfill is done (at most 300 s).
#   scripts/bench-stored-pixels-backfill.sh [PARTS=20000] [TAGGED_EVERY=0] [sqlite|postgres] [PHOTO]
# With `postgres`, a new database on the server of scripts/postgres.sh (dropped afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-server-lib.sh
PARTS=${1:-20000}
TAGGED_EVERY=${2:-0}
BACKEND=${3:-sqlite}
PHOTO=${4:-../shared/data/pdq/bridge-mods/aaa-orig.jpg}
PORT=18420
new_database "$BACKEND" storedpixels
INGEST=$("$BIN" keys create --database "$DB" --name bench-ingest --role ingest | awk '{print $NF}')
# The photo, and the same photo tagged 6: an APP1 EXIF segment first after the start marker,
# a little-endian TIFF structure whose one entry is the orientation (as OrientationTag does).
python3 - "$PHOTO" "$WORK/photo.jpg" "$WORK/tagged.jpg" <<'PY'
import struct, sys
photo = open(sys.argv[1], "rb").read()
assert photo[:2] == b"\xff\xd8", "PHOTO must be a JPEG"
tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) + struct.pack("<HHI", 0x0112, 3, 1) + struct.pack("<HH", 6, 0) + b"\x00" * 4
payload = b"Exif\x00\x00" + tiff
open(sys.argv[2], "wb").write(photo)
open(sys.argv[3], "wb").write(photo[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + photo[2:])
PY
t0=$(date +%s%3N)
if [ "$BACKEND" = postgres ]; then
  {
    echo "CREATE TEMP TABLE photo AS SELECT decode('$(xxd -p "$WORK/photo.jpg" | tr -d '\n')', 'hex') AS plain,"
    echo "  decode('$(xxd -p "$WORK/tagged.jpg" | tr -d '\n')', 'hex') AS tagged;"
    cat <<SQL
INSERT INTO items (platform, external_id, text, urls, received_at, decision, score, language, verdict, media_count)
  SELECT 'bulk', 'b-' || i, 'a photo ' || i, '[]', 1790000000, 'none', 0.1, 'en', '{}', 1 FROM generate_series(1, $PARTS) AS i;
INSERT INTO media (item_id, bytes, status, pdq, quality, md5, sha256)
  SELECT items.id, CASE WHEN $TAGGED_EVERY > 0 AND items.id % $TAGGED_EVERY = 0 THEN photo.tagged ELSE photo.plain END,
         'hashed', repeat('0', 64), 100, md5(items.id::text), md5(items.id::text) || md5(items.id::text)
  FROM items, photo WHERE items.platform = 'bulk' ORDER BY items.id;
INSERT INTO settings (key, value) SELECT 'stored_pixels_backfill', 'pending:' || (SELECT MAX(id) FROM media)
  ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
VACUUM ANALYZE items; VACUUM ANALYZE media;
SQL
  } | psql "$DB" -Xq
else
  python3 - "$DB" "$PARTS" "$TAGGED_EVERY" "$WORK/photo.jpg" "$WORK/tagged.jpg" <<'PY'
import sqlite3, sys
db, n, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
plain, tagged = open(sys.argv[4], "rb").read(), open(sys.argv[5], "rb").read()
c = sqlite3.connect(db)
# A transaction a thousand parts: the write-ahead log is checkpointed between them, so the
# database's bytes are not written twice over at once.
for start in range(1, n + 1, 1000):
    with c:
        for i in range(start, min(n, start + 999) + 1):
            cur = c.execute(
                "INSERT INTO items (platform, external_id, text, urls, received_at, decision, score, language, verdict, media_count)"
                " VALUES ('bulk', ?, ?, '[]', 1790000000, 'none', 0.1, 'en', '{}', 1)", (f"b-{i}", f"a photo {i}"))
            item = cur.lastrowid
            c.execute(
                "INSERT INTO media (item_id, bytes, status, pdq, quality, md5, sha256) VALUES (?, ?, 'hashed', ?, 100, ?, ?)",
                (item, tagged if every > 0 and item % every == 0 else plain, "0" * 64, f"{item:032x}", f"{item:064x}"))
with c:
    c.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('stored_pixels_backfill', 'pending:' || (SELECT MAX(id) FROM media))")
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
PY
fi
echo "$PARTS parts written ($(( $(date +%s%3N) - t0 )) ms), every ${TAGGED_EVERY}th tagged (0: none), $(stat -c %s "$WORK/photo.jpg") bytes each; database $(if [ "$BACKEND" = postgres ]; then psql "$DB" -XtAc "SELECT pg_size_pretty(pg_database_size(current_database()))"; else du -h "$DB" | cut -f1; fi)"
t0=$(date +%s%3N)
"$BIN" serve --database "$DB" --port $PORT --no-sample > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 3000); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.02; done
echo "listening $(( $(date +%s%3N) - t0 )) ms after start"
# Jobs queued or running, a sample a second, until the backfill says it is done.
(
  while ! grep -q "queued to be hashed again" "$WORK/serve.log"; do
    if [ "$BACKEND" = postgres ]; then
      psql "$DB" -XtAc "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')" 2>/dev/null || true
    else
      python3 -c "import sqlite3,sys; print(sqlite3.connect('file:'+sys.argv[1]+'?mode=ro', uri=True, timeout=5).execute(\"SELECT COUNT(*) FROM jobs WHERE status IN ('queued','running')\").fetchone()[0])" "$DB" 2>/dev/null || true
    fi
    sleep 1
  done
) > "$WORK/depth.txt" &
SAMPLER=$!
python3 scripts/ingest-probe.py post "$PORT" "$INGEST" "$WORK/probe.txt" --until-in-log "$WORK/serve.log" "queued to be hashed again"
wait "$SAMPLER" 2>/dev/null || true
python3 scripts/ingest-probe.py summary "$WORK/probe.txt" --label "ingest requests while the parts were read"
echo "jobs queued or running, sampled each second: at most $(sort -n "$WORK/depth.txt" | tail -1) ($(wc -l < "$WORK/depth.txt") samples)"
grep "queued to be hashed again" "$WORK/serve.log" | sed 's/^.*info bulwark: //'
echo "peak RSS of serve: $(grep VmHWM /proc/$SERVER/status | awk '{print $2 / 1024 " MiB"}')"
