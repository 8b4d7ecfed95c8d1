#!/usr/bin/env bash
# The project's test command (README "Run the tests"; .ci/run calls exactly this).
# Fetches the real sample models into $REVMUX_CACHE (a no-op when present), then runs
# every test in release mode: the parity tests dequantise whole real models.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 samples/fetch_assets.py >/dev/null
# Every test is XCTest; without this, Swift Testing closes the run with a "0 tests" line.
swift test -c release --disable-swift-testing "$@"
