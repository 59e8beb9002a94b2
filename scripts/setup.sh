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
  if command -v kubectl >/dev/null; then
    echo "[setup] waiting for the demo pod to be Ready"
    if KUBECONFIG="$data_dir/kubeconfig" kubectl wait --for=condition=Ready pod/demo --timeout=120s >/dev/null; then
      ip=$(KUBECONFIG="$data_dir/kubeconfig" kubectl get pod demo -o jsonpath='{.status.podIP}')
      # (fetched with node: Debian's busybox-static wget crashes on some machines)
      page=$(node -e 'fetch(process.argv[1]).then((r) => r.text()).then((t) => console.log(t.trim().split("\n")[0])).catch((e) => console.log(`not answering: ${e.message}`))' "http://$ip:8080/index.html")
      echo "[setup] demo on its pod IP, http://$ip:8080/index.html: $page"
    else
      echo "[setup] the demo pod is not Ready yet: node dist/cmd/tsctl/main.js describe pod demo"
    fi
  fi
fi
echo
echo "tskube is up. Try:"
echo "  export KUBECONFIG=$data_dir/kubeconfig"
echo "  node dist/cmd/tsctl/main.js get pods -o wide      # or: kubectl get pods -o wide"
echo "  node dist/cmd/tsctl/main.js down                  # stop it and remove every trace"
