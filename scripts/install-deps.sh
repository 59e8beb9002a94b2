#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks for tskube: apt packages, npm packages, build.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(etcd-server etcd-client runc conmon busybox-static docker-registry iptables iproute2 protobuf-compiler libprotobuf-dev openssl util-linux prometheus gcc libc6-dev)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing apt packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's packages start their own daemons where an init system runs; tskube runs its own.
  for svc in etcd docker-registry prometheus prometheus-node-exporter; do
    if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then systemctl disable --now "$svc" >/dev/null 2>&1 || true; fi
  done
else
  echo "[setup] apt packages present"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[setup] installing npm packages"
  # npm 11 writes lock files that its own `npm ci` rejects (platform-specific optional
  # packages missing), so install from the lock with `npm install`.
  npm install --no-audit --no-fund --loglevel=error
else
  echo "[setup] npm packages present"
fi

# (the build includes the init of pods that share one PID namespace, /pause from
# pkg/runtime/pause.c; if it cannot be built the node agent falls back to a busybox sh loop as
# PID 1 and logs a warning, so setup goes on)
echo "[setup] building"
npm run --silent build
