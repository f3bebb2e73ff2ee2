#!/usr/bin/env bash
# The whole test suite: set up, start PostgreSQL (the storage and server tests run against
# SQLite and PostgreSQL alike), build with warnings as errors, run every test (unit, quality
# gates on held-out data, CLI end-to-end).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/postgres.sh
swift build --build-tests -Xswiftc -warnings-as-errors
swift test --skip-build "$@"
