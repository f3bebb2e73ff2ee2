#!/usr/bin/env bash
# Time and peak memory of `bulwark labels` (README, "Reviewers' decisions as data"): DECIDED
# decided cases written into a new database with SQL (half removals, half no_violation with an
# exemption; one case in ten escalated before its decision; one in five a copy of another's text,
# the same content key), then `bulwark labels` of the whole database to a file, under
# /usr/bin/time. Prints the lines written, the summary, the time and the peak RSS.
#   scripts/bench-labels.sh [DECIDED=1000000] [sqlite|postgres]
# With `postgres`, a new database on the server of scripts/postgres.sh (dropped afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-server-lib.sh
DECIDED=${1:-1000000}
BACKEND=${2:-sqlite}
new_database "$BACKEND" labels
"$BIN" keys create --database "$DB" --name bench-admin --role admin > /dev/null  # creates and migrates the database
SQL=$(cat <<SQL
INSERT INTO items (platform, external_id, text, urls, received_at, decision, score, language, verdict, media_count)
  SELECT 'bulk', 'd-' || i, 'decided text number ' || i || ' about the news of the day', '[]', 1790000000, 'review', 0.5, 'en', '{}', 0
  FROM series;
INSERT INTO cases (item_id, source, status, base_priority, created_at, updated_at, content_key)
  SELECT id, 'engine', 'decided', 0.5, 1790000000, 1790000000,
         'k' || (CASE WHEN id % 5 = 0 THEN id - 1 ELSE id END)
  FROM items WHERE platform = 'bulk';
INSERT INTO decisions (case_id, reviewer, action, category, created_at)
  SELECT id, 'r', 'escalate', NULL, 1790000050 FROM cases WHERE id % 10 = 3 ORDER BY id;
INSERT INTO decisions (case_id, reviewer, action, category, exemption, created_at)
  SELECT id, 'r', CASE WHEN id % 2 = 0 THEN 'remove' ELSE 'no_violation' END,
         CASE WHEN id % 2 = 0 THEN 'incitement' END, CASE WHEN id % 2 = 1 THEN 'journalistic' END, 1790000100
  FROM cases ORDER BY id;
SQL
)
run_series_sql "$DECIDED" "$SQL"
echo "$DECIDED decided cases written ($BACKEND)"
/usr/bin/time -v "$BIN" labels --database "$DB" -o "$WORK/labels.jsonl" 2> "$WORK/time.txt" || { cat "$WORK/time.txt"; exit 1; }
grep "^labels:" "$WORK/time.txt"
echo "lines: $(wc -l < "$WORK/labels.jsonl")"
awk -F': ' '/Elapsed \(wall clock\)/ {print "wall clock: " $2} /Maximum resident set size/ {printf "peak RSS: %.1f MiB\n", $2 / 1024}' "$WORK/time.txt"
