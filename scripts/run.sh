#!/usr/bin/env bash
# The main job: set up, build the release binary, scan the sample in examples/ and show the
# verdicts (one JSON line per item) and the summary. Extra arguments go to `bulwark scan`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product bulwark 2>&1 | grep -E "error|warning: |Compiling bulwark|Build complete" || true
BIN="$(swift build -c release --show-bin-path)/bulwark"
test -x "$BIN"
echo "== bulwark scan examples/sample.jsonl (line 13 is malformed on purpose)" >&2
"$BIN" scan examples/sample.jsonl "$@"
