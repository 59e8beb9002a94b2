#!/usr/bin/env bash
# Builds tskube's pause (pkg/runtime/pause.c), the init of pods that share one PID namespace,
# as a static binary: dist/bin/pause, or the path given. The node agent runs it as /pause in
# the sandbox's own empty root (pod-init.ts), where there is no libc to load.
# `--optional` (what `npm run build` passes): without gcc or a static libc, or if the build fails,
# warn and go on; the node agent then runs a busybox sh loop as PID 1 and logs why.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--optional" ]; then
  shift
  if ! command -v gcc >/dev/null 2>&1; then
    echo "build-pause: warning: gcc is not installed, so dist/bin/pause is not built (npm run setup installs gcc and libc6-dev)" >&2
    exit 0
  fi
  bash "$0" "$@" || { echo "build-pause: warning: building pause failed; shared-PID pods will show busybox sh as PID 1" >&2; exit 0; }
  exit 0
fi
out="${1:-dist/bin/pause}"
# (up to date: nothing to do; the version comes from package.json)
if [ "$out" -nt pkg/runtime/pause.c ] && [ "$out" -nt package.json ] && [ "$out" -nt "$0" ]; then exit 0; fi
version="tskube-$(node -p 'require("./package.json").version')"
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
gcc -std=c11 -Os -Wall -Wextra -Werror -static -s -DPAUSE_VERSION="\"$version\"" -o "$tmp" pkg/runtime/pause.c
chmod 0755 "$tmp"
# A rename, not a write in place: pods running the old binary keep it (a write would be ETXTBSY).
mv -f "$tmp" "$out"
