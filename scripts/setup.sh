#!/usr/bin/env bash
# The README's first command: install what is missing, build, start a single-node cluster and
# apply the demo pod.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
data_dir="${TSKUBE_DATA_DIR:-/var/lib/tskube}"
node dist/cmd/tsctl/main.js up --data-dir "$data_dir"
if [ -f manifests/demo.yaml ]; then
  node dist/cmd/tsctl/main.js --data-dir "$data_dir" apply -f manifests/demo.yaml
fi
echo
echo "tskube is up. Try:"
echo "  export KUBECONFIG=$data_dir/kubeconfig"
echo "  node dist/cmd/tsctl/main.js get pods -o wide      # or: kubectl get pods -o wide"
