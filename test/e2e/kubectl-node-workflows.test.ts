// kubectl workflows against a real single-node cluster (apiserver, scheduler, node agent with
// runc): a pod's image updated with kubectl set image to one that cannot be pulled waits in
// ErrImagePull / ImagePullBackOff as under the kubelet, whose crash-loop back-off is keyed by
// the container's definition; it showed CrashLoopBackOff ("back-off restarting failed container")
// with no restart. kubectl delete --cascade=foreground returns once the deployment's ReplicaSets
// and pods are gone; the garbage collector dropped the deployment's foregroundDeletion finalizer at
// once (it looked at the owner between unlinking and relinking an updated dependent), so the
// command returned with the pods still there.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/control-plane.js';
import { hasKubectl, kubectlOk } from '../helpers/kubectl.js';
import { image, startCluster, type Cluster } from '../nodeagent/harness.js';

let c: Cluster;
const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));

beforeAll(async () => {
  if (!hasKubectl) return;
  c = await startCluster({ podCIDR: '10.199.61.0/24', controllers: {} });
}, 180_000);
afterAll(async () => {
  await c?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

const kubectl = (...args: string[]) => kubectlOk(c.cp.kubeconfig, cacheDir, args);
const kubectlIn = (input: string, ...args: string[]) => kubectlOk(c.cp.kubeconfig, cacheDir, args, input);

interface CStatus {
  restartCount: number;
  state: { waiting?: { reason: string }; running?: unknown };
}

// (the two blocks wait on back-offs and grace periods, each with objects of its own: they run at once)
describe.skipIf(!hasKubectl).concurrent('kubectl set image on a pod', () => {
  it('to an image that cannot be pulled: ErrImagePull then ImagePullBackOff, never CrashLoopBackOff', async () => {
    await kubectlIn(
      `apiVersion: v1
kind: Pod
metadata: {name: upd}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: app, image: ${image}, imagePullPolicy: IfNotPresent, command: [sleep, '3600']}
`,
      'apply', '-f', '-',
    );
    await kubectl('wait', '--for=condition=Ready', 'pod/upd', '--timeout=60s');
    expect(await kubectl('set', 'image', 'pod/upd', 'app=tskube.local/busybox:no-such-tag')).toBe('pod/upd image updated\n');
    const status = async () => (JSON.parse(await kubectl('get', 'pod', 'upd', '-o', 'json')) as { status: { containerStatuses: CStatus[] } }).status.containerStatuses[0]!;
    await eventually(async () => (await status()).state.waiting?.reason === 'ImagePullBackOff', { timeoutMs: 30_000, what: 'ImagePullBackOff' });
    // Several pull back-offs (1 s doubling to 4 s here) later, still waiting on the image.
    const seen = new Set<string>();
    const until = Date.now() + 8_000;
    while (Date.now() < until) {
      const s = await status();
      if (s.state.waiting) seen.add(s.state.waiting.reason);
      expect(s.state.running).toBeUndefined();
      await new Promise((r) => setTimeout(r, 250));
    }
    expect([...seen].filter((r) => r !== 'ErrImagePull' && r !== 'ImagePullBackOff')).toEqual([]);
    expect(await kubectl('get', 'pod', 'upd', '--no-headers')).toMatch(/^upd\s+0\/1\s+(ImagePullBackOff|ErrImagePull)\s/);
    const reasons = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=upd', '-o', 'jsonpath={range .items[*]}{.reason}:{.message}{"\\n"}{end}');
    expect(reasons).toContain('Killing:Container app definition changed, will be restarted');
    expect(reasons).toContain('Failed:Error: ImagePullBackOff');
    expect(reasons).not.toContain('Back-off restarting failed container');
    // Back to an image that is there: it runs again.
    await kubectl('set', 'image', 'pod/upd', `app=${image}`);
    await kubectl('wait', '--for=condition=Ready', 'pod/upd', '--timeout=60s');
    await kubectl('delete', 'pod', 'upd', '--grace-period=1');
  }, 120_000);
});

describe.skipIf(!hasKubectl).concurrent('kubectl delete --cascade=foreground', () => {
  it('keeps the deployment, Terminating, until its ReplicaSet and pods are gone', async () => {
    await kubectlIn(
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: fg}
spec:
  replicas: 2
  selector: {matchLabels: {app: fg}}
  template:
    metadata: {labels: {app: fg}}
    spec:
      terminationGracePeriodSeconds: 3
      containers:
      - {name: app, image: ${image}, imagePullPolicy: IfNotPresent, command: [sleep, '3600']}
`,
      'apply', '-f', '-',
    );
    await kubectl('rollout', 'status', 'deployment/fg', '--timeout=60s');
    await kubectl('delete', 'deployment', 'fg', '--cascade=foreground', '--wait=false');
    // sleep as PID 1 ignores SIGTERM: the pods take their 3 s grace period, and the deployment waits.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await kubectl('get', 'deployment', 'fg', '-o', 'jsonpath={.metadata.finalizers}')).toBe('["foregroundDeletion"]');
    expect(await kubectl('get', 'pods', '-l', 'app=fg', '-o', 'name')).not.toBe('');
    await kubectl('wait', '--for=delete', 'deployment/fg', '--timeout=60s');
    expect(await kubectl('get', 'rs,pods', '-l', 'app=fg', '-o', 'name')).toBe('');
  }, 120_000);
});
