#!/usr/bin/env bash
# Set up (idempotent), type-check, lint, and run the whole test suite: bash scripts/test.sh [vitest args...]
# Ends with one plain line "N passed, N failed, N skipped" (from vitest's JSON report),
# so any CI reader can count the tests; the exit code is vitest's.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# static checks first: the type checker over src/, test/, scripts/ (tsconfig.json), then Biome's
# formatter and linter (biome.jsonc); either failing fails the run before any test starts
npm run -s typecheck
npx --no-install biome ci --reporter=summary .
mkdir -p .cache
report=.cache/vitest-report.json
rm -f "$report"
status=0
npx --no-install vitest run --reporter=default --reporter=json --outputFile="$report" "$@" || status=$?
if [ -f "$report" ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  ' "$report"
else
  echo "0 passed, 1 failed, 0 skipped"
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
