#!/usr/bin/env bash
# The whole test suite: set up, start PostgreSQL (the storage and server tests run against
# SQLite and PostgreSQL alike), build with warnings as errors, run every test (unit, quality
# gates on held-out data, CLI end-to-end, the console in headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
scripts/postgres.sh
# The console's browser tests fail, rather than skip, if Chromium is missing.
export BULWARK_BROWSER_TESTS=required
swift build --build-tests -Xswiftc -warnings-as-errors
swift test --skip-build "$@"
