#!/usr/bin/env bash
# The main job: set up, build the release binary, show a scan of the sample in examples/, then
# start the moderation service on the embedded default (SQLite in ./bulwark.db,
# http://127.0.0.1:8080) with the sample loaded, so the review queue has work in it at once.
# The API keys of a new database are printed once. Stop with Ctrl-C (graceful shutdown).
# Extra arguments go to `bulwark serve` (e.g. --port 9000, --database other.db).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product bulwark 2>&1 | grep -E "error|warning: |Compiling bulwark|Build complete" || true
BIN="$(swift build -c release --show-bin-path)/bulwark"
test -x "$BIN"
echo "== bulwark scan examples/sample.jsonl (line 13 is malformed on purpose)" >&2
"$BIN" scan examples/sample.jsonl
echo "== bulwark serve" >&2
exec "$BIN" serve "$@"
