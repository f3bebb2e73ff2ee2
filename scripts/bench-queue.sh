#!/usr/bin/env bash
# The queue under a backlog (README, "Measured"): OPEN open cases, written with SQL, opened
# over the two days before now with base priorities spread from 20 to 80, in four languages and
# three sources (one in fifty claimed, one in ninety-seven escalated), next to DECIDED decided
# ones. Then `serve` on that database, and REQUESTS requests, one after another, of
#   - `GET /v1/cases?limit=200`, the API's queue (a reviewer's key);
#   - `GET /v1/cases?limit=200&language=ar`, the same filtered by language;
#   - `GET /console`, the console's queue page: its 200 first cases and the counts over the
#     whole queue by source, language and category (a reviewer signed in);
# each timed by curl (median, 90th percentile, slowest, in ms), and the server's own time of the
# console page (its `Server-Timing` header).
#   scripts/bench-queue.sh [OPEN=200000] [sqlite|postgres] [DECIDED=0] [REQUESTS=50]
# With `postgres`, a new database on the server of scripts/postgres.sh (dropped afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-server-lib.sh
OPEN=${1:-200000}
BACKEND=${2:-sqlite}
DECIDED=${3:-0}
REQUESTS=${4:-50}
PORT=18413
new_database "$BACKEND" queue
REVIEWER=$("$BIN" keys create --database "$DB" --name bench-reviewer --role reviewer | awk '{print $NF}')
PASSWORD=bench-queue-password-1
echo "$PASSWORD" | "$BIN" users create --database "$DB" --name bench-lead --role reviewer > /dev/null
NOW=$(date +%s)
TOTAL=$(( OPEN + DECIDED ))
SQL=$(cat <<SQL
INSERT INTO items (platform, external_id, text, urls, received_at, decision, score, language, verdict, media_count)
  SELECT 'bulk', 'q-' || i, 'queued text number ' || i, '[]', $NOW - 172800 + (i * 172800) / $TOTAL,
         CASE WHEN i % 10 = 0 THEN 'violating' ELSE 'review' END, 0.5,
         CASE i % 4 WHEN 0 THEN 'en' WHEN 1 THEN 'es' WHEN 2 THEN 'ar' ELSE 'fr' END, '{}', 0
  FROM series WHERE i <= $TOTAL;
INSERT INTO cases (item_id, source, status, base_priority, category, language, created_at, updated_at)
  SELECT id, CASE WHEN id % 10 < 7 THEN 'proactive' WHEN id % 10 < 9 THEN 'user_report' ELSE 'trusted_flagger' END,
         CASE WHEN id % $TOTAL >= $OPEN THEN 'decided' WHEN id % 50 = 0 THEN 'claimed' WHEN id % 97 = 0 THEN 'escalated' ELSE 'open' END,
         20 + ((id * 7919) % 6000) / 100.0, CASE id % 3 WHEN 0 THEN 'incitement' WHEN 1 THEN 'recruitment' END,
         language, received_at, received_at
  FROM items WHERE platform = 'bulk';
SQL
)
run_series_sql "$TOTAL" "$SQL" > /dev/null 2>&1
echo "$OPEN open cases and $DECIDED decided ($BACKEND)"
"$BIN" serve --database "$DB" --port $PORT --no-sample > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 3000); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.02; done
URL=http://127.0.0.1:$PORT
# Sign in as a person: the form's token from the sign-in page's cookie, then the session cookie.
JAR=$WORK/cookies
curl -s -c "$JAR" "$URL/login" -o "$WORK/login.html"
CSRF=$(grep -o 'name="csrf" value="[^"]*"' "$WORK/login.html" | head -1 | sed 's/.*value="//; s/"$//')
curl -s -b "$JAR" -c "$JAR" -o /dev/null --data-urlencode "csrf=$CSRF" --data-urlencode "name=bench-lead" \
  --data-urlencode "password=$PASSWORD" "$URL/login"
summary() {  # label, then one time in seconds per line on stdin
  sort -g | awk -v label="$1" '{t[NR] = $1} END {
    printf "%s: median %.1f ms, p90 %.1f ms, slowest %.1f ms (%d requests)\n", label, t[int((NR + 1) / 2)] * 1000, t[int(NR * 0.9 + 0.999)] * 1000, t[NR] * 1000, NR }'
}
time_get() {  # path, curl options...
  local path=$1; shift
  for _ in 1 2 3; do curl -s -o /dev/null "$@" "$URL$path"; done  # warm
  for _ in $(seq 1 "$REQUESTS"); do curl -s -o /dev/null -w "%{time_total}\n" "$@" "$URL$path"; done
}
code=$(curl -s -o "$WORK/queue.html" -w "%{http_code}" -b "$JAR" "$URL/console")
[ "$code" = 200 ] || { echo "the console's queue page answered $code"; exit 1; }
cases=$(curl -s -H "Authorization: Bearer $REVIEWER" "$URL/v1/cases?limit=200" | python3 -c "import json, sys; print(len(json.load(sys.stdin)['cases']))")
echo "the API's queue page holds $cases cases"
time_get "/v1/cases?limit=200" -H "Authorization: Bearer $REVIEWER" | summary "GET /v1/cases?limit=200"
time_get "/v1/cases?limit=200&language=ar" -H "Authorization: Bearer $REVIEWER" | summary "GET /v1/cases?limit=200&language=ar"
time_get "/console" -b "$JAR" | summary "GET /console (the queue page)"
for _ in $(seq 1 "$REQUESTS"); do
  curl -s -o /dev/null -D - -b "$JAR" "$URL/console" | tr -d '\r' | awk -F'dur=' 'tolower($0) ~ /^server-timing:/ {split($2, a, /[;, ]/); print a[1] / 1000}'
done | summary "  the console page's Server-Timing"
awk '/VmHWM/ {printf "server peak RSS: %.1f MiB\n", $2 / 1024}' /proc/$SERVER/status
