#!/usr/bin/env bash
# The README's second command: build, then run every test suite with vitest, and end with one
# plain line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
# The build, the circular-import check and the tests' type-check read only the sources and
# write nothing the others read (the type-check emits nothing; its incremental record is its own
# file), so they run at once. Each keeps about one core busy: on a fresh clone they take 28, 13
# and 36 s of CPU, which one after another is as many seconds of a CI run, and at once on two
# cores about the longest of them. Their verdicts are then read in the old order.
# The tests type-check as the code does (tsconfig.json leaves them out): a field that is not on
# the type, or an option the client does not send, would otherwise make an assertion check nothing.
build_log="$(mktemp /tmp/tskube-build-XXXXXX.log)"
npm run --silent build >"$build_log" 2>&1 &
build_pid=$!
npx madge --circular --extensions ts pkg cmd >/tmp/tskube-madge.log 2>&1 &
madge_pid=$!
npx tsc -p tsconfig.test.json >/tmp/tskube-tsc-test.log 2>&1 &
tsc_test_pid=$!
wait "$build_pid"; build_status=$?
wait "$madge_pid"; madge_status=$?
wait "$tsc_test_pid"; tsc_test_status=$?
cat "$build_log"; rm -f "$build_log"
[ "$build_status" -eq 0 ] || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
if [ "$madge_status" -ne 0 ]; then
  cat /tmp/tskube-madge.log; echo "circular imports found"; echo "0 passed, 1 failed"; exit 1
fi
if [ "$tsc_test_status" -ne 0 ]; then
  cat /tmp/tskube-tsc-test.log; echo "test files do not type-check (npx tsc -p tsconfig.test.json)"; echo "0 passed, 1 failed"; exit 1
fi
# Unit tests first, two files at a time in workers reused from file to file (a fresh process per
# file cost more than the tests: 101 s against 21 s here); then the integration files that start
# only control planes, two at a time, each in a fresh process; then those that run nodes (runc,
# network namespaces, iptables), one at a time (vitest.config.ts). Running two control planes at
# once on two cores lets the watch caches lag; admission and the node authorizer wait for the
# apiserver's own writes (read-your-writes), so the tests need not.
unit="$(mktemp /tmp/tskube-vitest-unit-XXXXXX.json)"
control_plane="$(mktemp /tmp/tskube-vitest-control-plane-XXXXXX.json)"
integration="$(mktemp /tmp/tskube-vitest-integration-XXXXXX.json)"
# With files or filters given, one of the runs may have nothing to run.
none_ok=()
[ $# -gt 0 ] && none_ok=(--passWithNoTests)
npx vitest run --project unit --fileParallelism --maxWorkers=2 --no-isolate "${none_ok[@]}" --reporter=default --reporter=json --outputFile.json="$unit" "$@"
unit_status=$?
npx vitest run --project control-plane --fileParallelism --maxWorkers=2 "${none_ok[@]}" --reporter=default --reporter=json --outputFile.json="$control_plane" "$@"
control_plane_status=$?
npx vitest run --project integration "${none_ok[@]}" --reporter=default --reporter=json --outputFile.json="$integration" "$@"
integration_status=$?
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  const args = process.argv.slice(1);
  const names = ["unit", "control-plane", "integration"];
  // What failed is listed just above the summary line, so that the end of the log (all that a
  // CI excerpt may show) says which tests failed and why, not only how many.
  const lines = [];
  const firstLine = (m) => String(m ?? "").replace(/\x1b\[[0-9;]*m/g, "").split("\n").find((l) => l.trim()) ?? "";
  for (let i = 0; i < args.length; i += 2) {
    const [path, status] = [args[i], Number(args[i + 1])];
    let r = {};
    try { r = JSON.parse(fs.readFileSync(path, "utf8")); } catch {}
    for (const f of r.testResults ?? []) {
      const file = String(f.name ?? "").replace(process.cwd() + "/", "");
      const failedTests = (f.assertionResults ?? []).filter((a) => a.status === "failed");
      for (const a of failedTests) lines.push(`FAILED ${names[i / 2]} ${file} > ${a.fullName}: ${firstLine(a.failureMessages?.[0]).slice(0, 300)}`);
      if (f.status === "failed" && !failedTests.length) lines.push(`FAILED ${names[i / 2]} ${file}: ${firstLine(f.message).slice(0, 300)}`);
    }
    passed += r.numPassedTests ?? 0;
    // A file that fails outside its tests (it does not parse, a hook throws) counts once, beside
    // the failed tests of other files: it must not hide behind them.
    const fileFailures = (r.testResults ?? []).filter((f) => f.status === "failed" && !(f.assertionResults ?? []).some((a) => a.status === "failed")).length;
    let runFailed = (r.numFailedTests ?? 0) + fileFailures;
    // A run that failed with nothing counted (no report, an unhandled error, a worker that
    // crashed: vitest leaves those out of its report) counts as one failure.
    if (status !== 0 && runFailed === 0) {
      runFailed = 1;
      lines.push(`FAILED ${names[i / 2]}: vitest exited ${status} with no failed test in its report (an unhandled error or a crashed worker: see its output above)`);
    }
    failed += runFailed;
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  }
  for (const l of lines) console.log(l);
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$unit" "$unit_status" "$control_plane" "$control_plane_status" "$integration" "$integration_status"
rm -f "$unit" "$control_plane" "$integration"
for status in "$unit_status" "$control_plane_status"; do [ "$status" -ne 0 ] && exit "$status"; done
exit $integration_status
