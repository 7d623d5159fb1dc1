#!/usr/bin/env bash
# Set up (idempotent) and run the example: summarize examples/data/minicompart.ll
# (or the .ll given as first argument).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node dist/examples/summary.js "${1:-examples/data/minicompart.ll}"
