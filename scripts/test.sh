#!/usr/bin/env bash
# The README's second command: build, then run every test suite with vitest, and end with one
# plain line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
npm run --silent build || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
if ! npx madge --circular --extensions ts pkg cmd >/tmp/tskube-madge.log 2>&1; then
  cat /tmp/tskube-madge.log; echo "circular imports found"; echo "0 passed, 1 failed"; exit 1
fi
report="$(mktemp /tmp/tskube-vitest-XXXXXX.json)"
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
status=$?
node -e '
  const fs = require("fs");
  let r = {};
  try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch {}
  const passed = r.numPassedTests ?? 0;
  // A file that fails outside its tests (it does not parse, a hook throws) counts once, beside
  // the failed tests of other files: it must not hide behind them.
  const fileFailures = (r.testResults ?? []).filter((f) => f.status === "failed" && !(f.assertionResults ?? []).some((a) => a.status === "failed")).length;
  const failed = (r.numFailedTests ?? 0) + fileFailures + (r.testResults ? 0 : (r.numFailedTestSuites ?? 0));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$report"
rm -f "$report"
exit $status
