// The node agent binary refuses bad eviction and image GC flags before it does anything else,
// with exit code 2 and an error naming the flag (needs `npx tsc -p tsconfig.json` first: dist/).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const bin = join(__dirname, '../../dist/cmd/nodeagent/main.js');
// (a kubeconfig that loads, for the checks after it: nothing listens at its server)
const dir = mkdtempSync(join(tmpdir(), 'tsk-agent-flags-'));
const kubeconfig = join(dir, 'kubelet.conf');
writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n');
// (kubeadm's config.yaml names the client CA in authentication.x509.clientCAFile)
const kubeletConfig = join(dir, 'config.yaml');
writeFileSync(kubeletConfig, 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  x509:\n    clientCAFile: /nonexistent/pki/ca.crt\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function agent(args: string[]): Promise<{ code: number; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 20_000 }, (e, _out, err) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, err }));
  });
}

describe('node agent eviction flags', () => {
  it.each([
    [['--eviction-hard=memory.available<lots'], 'error: invalid value "lots" for memory.available in --eviction-hard: not a quantity (e.g. 100Mi) or a percentage (e.g. 10%)'],
    [['--eviction-hard=memory.free<1Gi'], 'error: invalid --eviction-hard "memory.free<1Gi": unsupported eviction signal "memory.free"'],
    [['--eviction-soft=memory.available<1Gi'], 'error: invalid --eviction-soft: grace period must be specified for the soft eviction threshold memory.available'],
    [['--eviction-pressure-transition-period=soon'], 'error: invalid --eviction-pressure-transition-period "soon": not a duration'],
    [['--image-gc-high-threshold=70', '--image-gc-low-threshold=80'], 'error: invalid --image-gc-low-threshold 80: must be less than or equal to --image-gc-high-threshold 70'],
    // (not an eviction flag: labels NodeRestriction would refuse the Node, refused at start as the kubelet does)
    [['--node-labels=node-role.kubernetes.io/worker=,team=a'], "error: unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [node-role.kubernetes.io/worker]"],
    // (the pods cgroup is limited to node allocatable: never a hierarchy's root, which cannot be)
    [['--cgroup-root=/'], 'error: invalid --cgroup-root "/": want an absolute cgroup path below the root, e.g. /tskube'],
    // (not an eviction flag: the service proxy's metrics server, kube-proxy's --metrics-bind-address)
    [['--metrics-bind-address=127.0.0.1'], 'error: invalid --metrics-bind-address "127.0.0.1": want host:port, e.g. 127.0.0.1:10249'],
    // (TLS bootstrapping writes the node's kubeconfig: it needs the path to write)
    [['--bootstrap-kubeconfig=/nonexistent/bootstrap-kubelet.conf'], 'error: --bootstrap-kubeconfig needs --kubeconfig: the path the bootstrapped kubeconfig is written to'],
  ])('%j', async (args, message) => {
    const r = await agent(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  // (the kubelet's config file and configuration errors are RunE errors: "command failed", exit 1)
  it.each([
    [['--config=/nonexistent/kubelet.yaml'], 'failed to load kubelet config file, path: /nonexistent/kubelet.yaml, error: failed to load Kubelet config file /nonexistent/kubelet.yaml, error failed to read kubelet config file \\"/nonexistent/kubelet.yaml\\"'],
    [['--enforce-node-allocatable=pods,system-reserved'], 'failed to validate kubelet configuration, error: invalid configuration: systemReservedCgroup (--system-reserved-cgroup) must be specified when \\"system-reserved\\" or \\"system-reserved-compressible\\" included in enforceNodeAllocatable (--enforce-node-allocatable)'],
    [['--enforce-node-allocatable=none,pods'], 'may not contain additional enforcements when \\"none\\" is specified'],
    // (a bootstrap kubeconfig that does not load stops the kubelet before it asks for anything)
    [['--bootstrap-kubeconfig=/nonexistent/bootstrap-kubelet.conf', '--kubeconfig=/nonexistent/kubelet.conf', '--cert-dir=/nonexistent/pki'], 'failed to run Kubelet: unable to load bootstrap kubeconfig: kubeconfig /nonexistent/bootstrap-kubelet.conf: ENOENT'],
    // (the client CA the agent's HTTPS port believes, loaded as the kubelet's BuildAuthn loads it)
    [[`--kubeconfig=${kubeconfig}`, '--client-ca-file=/nonexistent/ca.crt'], 'open /nonexistent/ca.crt: no such file or directory'],
    [[`--kubeconfig=${kubeconfig}`, `--client-ca-file=${kubeconfig}`], `error loading CA bundle for \\"client-ca-bundle::${kubeconfig}\\": data does not contain any valid RSA or ECDSA certificates`],
    [[`--kubeconfig=${kubeconfig}`, `--config=${kubeletConfig}`], 'open /nonexistent/pki/ca.crt: no such file or directory'],
  ])('%j exits 1', async (args, message) => {
    const r = await agent(args);
    expect(r.code).toBe(1);
    expect(r.err).toContain('"command failed" err=');
    expect(r.err).toContain(message);
  });
});
