#!/usr/bin/env bash
# Time and peak memory of `bulwark report transparency` (README, "Transparency report") on a
# database of DECIDED decided cases spread evenly over DAYS days (a year by default), written with
# SQL: seven in ten opened by the engine (`proactive`: its verdict on arrival one in seven
# `violating`, the rest `review`), two by user reports, one by a trusted flagger (verdict `none`);
# one case in ten escalated before its decision; half removed, half `no_violation`; one removal in
# fifty reinstated a day later; each case's first decision, and its first other than an
# escalation, marked as they are written, as bulwark marks them (schema version 19). Then the
# reports of the first week, the first 30 days, the first 182 days and the whole year (JSON; the
# year is the period of TCO Art. 7's annual report), each under /usr/bin/time: prints the time,
# the peak RSS and the accuracy-of-automated-detection counts.
# ITEMS: the items received over those days, those past the decided ones flagged by nothing
# and opening no case (on a platform most items are not flagged).
#   scripts/bench-transparency.sh [DECIDED=1000000] [sqlite|postgres] [DAYS=365] [ITEMS=DECIDED]
# With `postgres`, a new database on the server of scripts/postgres.sh (dropped afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-server-lib.sh
DECIDED=${1:-1000000}
BACKEND=${2:-sqlite}
DAYS=${3:-365}
ITEMS=${4:-$DECIDED}
EXTRA=$(( ITEMS > DECIDED ? ITEMS - DECIDED : 0 ))
new_database "$BACKEND" transparency
START=1790035200  # 2026-09-22T00:00:00Z
STEP=$(( DAYS * 86400 * 1000 / DECIDED ))  # milliseconds between two cases
EXTRA_STEP=$(( DAYS * 86400 * 1000 / (EXTRA > 0 ? EXTRA : 1) ))  # between two items that opened none
"$BIN" keys create --database "$DB" --name bench-admin --role admin > /dev/null  # creates and migrates the database
SQL=$(cat <<SQL
INSERT INTO items (platform, external_id, text, urls, received_at, decision, score, language, verdict, media_count)
  SELECT 'bulk', 't-' || i, 'text number ' || i, '[]', $START + (i * $STEP) / 1000,
         CASE WHEN i % 10 = 0 THEN 'violating' WHEN i % 10 < 7 THEN 'review' ELSE 'none' END,
         0.5, CASE i % 4 WHEN 0 THEN 'en' WHEN 1 THEN 'es' WHEN 2 THEN 'ar' ELSE 'fr' END, '{}', 0
  FROM series WHERE i <= $DECIDED;
INSERT INTO cases (item_id, source, status, base_priority, created_at, updated_at)
  SELECT id, CASE WHEN id % 10 < 7 THEN 'proactive' WHEN id % 10 < 9 THEN 'user_report' ELSE 'trusted_flagger' END,
         'decided', 0.5, received_at, received_at
  FROM items WHERE platform = 'bulk';
INSERT INTO decisions (case_id, reviewer, action, category, created_at, first_of_case, first_ruling)
  SELECT id, 'r', 'escalate', NULL, created_at + 600, TRUE, FALSE FROM cases WHERE id % 10 = 3 ORDER BY id;
INSERT INTO decisions (case_id, reviewer, action, category, exemption, created_at, first_of_case, first_ruling)
  SELECT id, 'r', CASE WHEN id % 2 = 0 THEN 'remove' ELSE 'no_violation' END,
         CASE WHEN id % 2 = 0 THEN 'incitement' END, CASE WHEN id % 2 = 1 THEN 'journalistic' END, created_at + 1800,
         id % 10 <> 3, TRUE
  FROM cases ORDER BY id;
INSERT INTO decisions (case_id, reviewer, action, category, created_at, first_of_case, first_ruling)
  SELECT id, 'r', 'reinstate', NULL, created_at + 86400, FALSE, FALSE FROM cases WHERE id % 100 = 0 ORDER BY id;
INSERT INTO items (platform, external_id, text, urls, received_at, decision, score, language, verdict, media_count)
  SELECT 'bulk-none', 'n-' || i, 'text number ' || i, '[]', $START + (i * $EXTRA_STEP) / 1000, 'none', 0.01,
         CASE i % 4 WHEN 0 THEN 'en' WHEN 1 THEN 'es' WHEN 2 THEN 'ar' ELSE 'fr' END, '{}', 0
  FROM series WHERE i <= $EXTRA;
SQL
)
run_series_sql "$(( DECIDED > EXTRA ? DECIDED : EXTRA ))" "$SQL"
if [ "$BACKEND" = postgres ]; then
  # The BRIN index of items by time (schema version 20) summarises a run of pages once it is
  # full, in autovacuum's next round (`autosummarize`); items written in bulk are summarised here
  # instead of waiting for that round, as they would be on a platform receiving them over days.
  psql "$DB" -XtAqc "SELECT brin_summarize_new_values('items_received')" > /dev/null
fi
echo "$DECIDED decided cases and $(( DECIDED + EXTRA )) items written over $DAYS days ($BACKEND)"
for period in "2026-09-22 2026-09-29" "2026-09-22 2026-10-22" "2026-09-22 2027-03-23" "2026-09-22 2027-09-22"; do
  set -- $period
  /usr/bin/time -v "$BIN" report transparency --from "$1" --to "$2" --format json --database "$DB" \
    -o "$WORK/report.json" 2> "$WORK/time.txt" || { cat "$WORK/time.txt"; exit 1; }
  echo "report $1 .. $2:"
  awk -F': ' '/Elapsed \(wall clock\)/ {print "  wall clock: " $2} /Maximum resident set size/ {printf "  peak RSS: %.1f MiB\n", $2 / 1024}' "$WORK/time.txt"
  python3 - "$WORK/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
a = r["automated_detection_accuracy"]
print("  decisions:", sum(r["decisions_by_action"].values()) if "decisions_by_action" in r else "?")
print("  automated detection:", json.dumps(a, sort_keys=True)[:400])
PY
done
