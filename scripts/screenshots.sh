#!/usr/bin/env bash
# The console's screenshots in docs/screenshots/: the browser test that checks every page with
# axe-core also saves each page as PNG when BULWARK_SCREENSHOTS_DIR is set. Headless Chromium,
# 1280 px wide, the sample of examples/sample.jsonl plus a removal order and an appeal.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
export BULWARK_BROWSER_TESTS=required
export BULWARK_SCREENSHOTS_DIR="$PWD/docs/screenshots"
swift build --build-tests
swift test --skip-build --filter "ConsoleBrowserTests/everyPagePassesAnAccessibilityCheck"
ls -l "$BULWARK_SCREENSHOTS_DIR"
