#!/usr/bin/env bash
# The whole test suite: set up, start PostgreSQL (the storage and server tests run against
# SQLite and PostgreSQL alike), build with warnings as errors, run every test (unit, quality
# gates on held-out data, CLI end-to-end, the console in headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser --references
scripts/postgres.sh
# The console's browser tests fail, rather than skip, if Chromium is missing.
export BULWARK_BROWSER_TESTS=required
swift build --build-tests -Xswiftc -warnings-as-errors
# A test that never finishes fails the run within 30 minutes (the suite takes about 4 here)
# instead of holding CI to its limit (the tests missing from the log are the ones that hung).
status=0
timeout --kill-after=10 1800 swift test --skip-build "$@" || status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "test.sh: swift test did not finish within 30 minutes" >&2
fi
# PostgreSQL restarted under ingest load, on a cluster of its own (about a minute). Only with the
# whole suite: it restarts a database server, so a filtered run (arguments given) leaves it out.
if [ "$status" -eq 0 ] && [ "$#" -eq 0 ]; then
    timeout --kill-after=10 600 scripts/postgres-restart-test.sh || status=$?
fi
exit "$status"
