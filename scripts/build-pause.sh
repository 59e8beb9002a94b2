#!/usr/bin/env bash
# Builds tskube's pause (pkg/runtime/pause.c), the init of pods that share one PID namespace,
# as a static binary: dist/bin/pause, or the path given. The node agent runs it as /pause in
# the sandbox's own empty root (pod-init.ts), where there is no libc to load.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-dist/bin/pause}"
version="tskube-$(node -p 'require("./package.json").version')"
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
gcc -std=c11 -Os -Wall -Wextra -Werror -static -s -DPAUSE_VERSION="\"$version\"" -o "$tmp" pkg/runtime/pause.c
chmod 0755 "$tmp"
# A rename, not a write in place: pods running the old binary keep it (a write would be ETXTBSY).
mv -f "$tmp" "$out"
