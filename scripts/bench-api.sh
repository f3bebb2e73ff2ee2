#!/usr/bin/env bash
# Ingest load on loopback: starts `bulwark serve` (release build) on a fresh database, creates an
# ingest key, and runs wrk with POST /v1/items requests, one item each unless BULWARK_LOAD_BATCH
# (`bulwark bench`'s short posts, 3% violating, each with a new id, an author of 20,000 and a
# container of 5,000 with followers) for DURATION seconds with CONNECTIONS connections. Prints
# wrk's summary, then the items the server stored and their rate.
#   scripts/bench-api.sh [DATABASE (default: a temporary SQLite file)] [DURATION=30] [CONNECTIONS=64]
#   BULWARK_LOAD_PLAIN=1 scripts/bench-api.sh ...   (text only: no author, no container)
#   BULWARK_LOAD_BATCH=100 scripts/bench-api.sh ...   (100 items a request, as {"items": [...]})
#   BULWARK_SERVE_ARGS="--no-workers --banks-in-database" scripts/bench-api.sh postgres://...   (an API process of a scaled-out deployment)
#   BULWARK_BIN=/path/to/bulwark scripts/bench-api.sh ...   (that binary, not built here: to alternate two builds)
#   BULWARK_LOAD_ITEMS=400000 BULWARK_LOAD_CORPUS_ARGS="--repost-share 0.1" scripts/bench-api.sh ...   (a corpus
#     larger than the run, 10% of it reposts: see scripts/load/texts.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
if [ -n "${BULWARK_BIN:-}" ]; then
    BIN="$BULWARK_BIN"
else
    swift build -c release --product bulwark 2>&1 | grep -E "error|Build complete" || true
    BIN="$(swift build -c release --show-bin-path)/bulwark"
fi
WORK=$(mktemp -d)
DB="${1:-$WORK/load.db}"
DURATION="${2:-30}"
CONNECTIONS="${3:-64}"
PORT=18080
. scripts/load/texts.sh
write_load_texts "$BIN" "$WORK/texts.txt"
KEY=$("$BIN" keys create --database "$DB" --name load --role ingest | awk '{print $NF}')
# shellcheck disable=SC2086
"$BIN" serve --database "$DB" --banks "$WORK/banks" --port $PORT --no-sample ${BULWARK_SERVE_ARGS:-} > "$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
echo "database: $DB; $CONNECTIONS connections, 2 wrk threads, $DURATION s, items per request: ${BULWARK_LOAD_BATCH:-1}" >&2
BULWARK_LOAD_BATCH=${BULWARK_LOAD_BATCH:-1} BULWARK_LOAD_PLAIN=${BULWARK_LOAD_PLAIN:-0} BULWARK_KEY=$KEY BULWARK_CORPUS="$WORK/texts.txt" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s \
    -s scripts/load/ingest.lua "http://127.0.0.1:$PORT" | tee "$WORK/wrk.txt"
# Every item sent has an id of its own, so each should be stored once: a replayed id would be
# answered from the store and overstate items/s. The server may count a few more (requests in
# flight when wrk stopped), never many fewer.
STORED=$(curl -sf "http://127.0.0.1:$PORT/metrics" | awk '$1 == "bulwark_items_total" {print $2}')
SENT=$(awk -v batch="${BULWARK_LOAD_BATCH:-1}" '$1 == "requests" {gsub(",", "", $2); print $2 * batch}' "$WORK/wrk.txt")
echo "items stored: $STORED (of $SENT answered), $(awk -v n="$STORED" -v d="$DURATION" 'BEGIN {printf "%.0f", n / d}') items/s"
if [ -n "$SENT" ] && [ "${STORED:-0}" -lt $((SENT * 99 / 100)) ]; then
    echo "warning: fewer items stored than answered: some requests replayed ids already stored" >&2
fi
# With --model full: the texts the encoder was given, and those whose embedding it had kept.
curl -sf "http://127.0.0.1:$PORT/metrics" | awk '$1 ~ /^bulwark_encoder_sentences_total/ {n[$1] = $2}
    END {k = n["bulwark_encoder_sentences_total{result=\"kept\"}"]; c = n["bulwark_encoder_sentences_total{result=\"computed\"}"];
         if (k + c > 0) printf "encoder: %d texts, %d of them (%.1f%%) with their embedding kept\n", k + c, k, 100 * k / (k + c)}'
echo "peak RSS of the server: $(grep VmHWM /proc/$SERVER/status | awk '{print $2/1024 " MiB"}')"
