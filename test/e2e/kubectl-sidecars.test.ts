// Sidecar containers with the stock kubectl on a real single-node cluster: `kubectl apply` of a
// pod with an init container of restartPolicy Always, `kubectl get pod` counting it in READY
// (2/2), `kubectl describe pod` showing it Running among the init containers (and tsctl describe of
// the pod and its node byte for byte as kubectl's), and a refusal of
// restartPolicy on an app container with Kubernetes' message, and a Job whose pod has a sidecar
// completing once its app container is done.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt, kubectlOk } from '../helpers/kubectl.js';
import { runTsctl } from '../helpers/tsctl.js';
import { image, startCluster, type Cluster } from '../nodeagent/harness.js';

let c: Cluster;
const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));

beforeAll(async () => {
  if (!hasKubectl) return;
  c = await startCluster({ podCIDR: '10.199.3.128/25', controllers: {} });
}, 180_000);
afterAll(async () => {
  await c?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

const kubectl = (...args: string[]) => kubectlOk(c.cp.kubeconfig, cacheDir, args);

const pod = (appExtra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: with-sidecar
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: logshipper
    image: ${image}
    imagePullPolicy: IfNotPresent
    restartPolicy: Always
    command: [sleep, "3600"]
    readinessProbe:
      exec: {command: ["true"]}
      periodSeconds: 1
  containers:
  - name: app
    image: ${image}
    imagePullPolicy: IfNotPresent
    command: [sleep, "3600"]${appExtra}
`;

describe.skipIf(!hasKubectl)('kubectl and sidecar containers', () => {
  it('refuses restartPolicy on an app container', async () => {
    const r = await kubectlAt(c.cp.kubeconfig, cacheDir, ['apply', '-f', '-'], pod('\n    restartPolicy: Always'));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers');
  });

  it('get pod counts the sidecar in READY; describe shows it Running among the init containers', async () => {
    expect(await kubectlOk(c.cp.kubeconfig, cacheDir, ['apply', '-f', '-'], pod())).toBe('pod/with-sidecar created\n');
    const line = await eventually(async () => {
      const out = (await kubectl('get', 'pod', 'with-sidecar', '--no-headers')).trim();
      return /^with-sidecar\s+2\/2\s+Running\s+0\s/.test(out) ? out : undefined;
    }, { timeoutMs: 60_000, what: 'with-sidecar 2/2 Running' });
    expect(line).toMatch(/^with-sidecar\s+2\/2\s+Running/);
    const described = await kubectl('describe', 'pod', 'with-sidecar');
    const init = described.slice(described.indexOf('Init Containers:'), described.indexOf('\nContainers:'));
    expect(init).toMatch(/logshipper:/);
    expect(init).toMatch(/State:\s+Running/);
    expect(init).toMatch(/Ready:\s+True/);
    expect(init).toMatch(/Readiness:\s+exec \[true\]/);
    expect(described).toMatch(/Initialized\s+True/);
    // tsctl describes the running pod and its node as the stock kubectl does, byte for byte (asked
    // back to back until a second's tick, an event or a Lease renewal does not fall between them)
    const node = (await kubectl('get', 'nodes', '-o', 'name')).trim().replace(/^node\//, '');
    for (const args of [['describe', 'pod', 'with-sidecar'], ['describe', 'node', node]]) {
      let last = { want: '', got: '' };
      const same = await eventually(async () => {
        const want = await kubectl(...args);
        last = { want, got: (await runTsctl(c.cp.kubeconfig, args)).out };
        return last.got === last.want || undefined;
      }, { timeoutMs: 20_000, intervalMs: 200, what: `tsctl ${args.join(' ')} as kubectl's` }).catch(() => false);
      if (!same) expect(last.got).toBe(last.want);
    }
    expect(await kubectl('delete', 'pod', 'with-sidecar')).toBe('pod "with-sidecar" deleted\n');
  });

  it('a Job whose pod has a serving sidecar completes when its app container is done', async () => {
    const job = `apiVersion: batch/v1
kind: Job
metadata: {name: with-proxy}
spec:
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 2
      initContainers:
      - name: proxy
        image: ${image}
        imagePullPolicy: IfNotPresent
        restartPolicy: Always
        command: [sh, -c, "mkdir /w && echo from-proxy > /w/index.html && exec httpd -f -p 8080 -h /w"]
        startupProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
      containers:
      - name: main
        image: ${image}
        imagePullPolicy: IfNotPresent
        command: [wget, -qO-, "http://127.0.0.1:8080/"]
`;
    expect(await kubectlOk(c.cp.kubeconfig, cacheDir, ['apply', '-f', '-'], job)).toBe('job.batch/with-proxy created\n');
    await eventually(async () => /^with-proxy\s+Complete\s+1\/1\s/.test((await kubectl('get', 'job', 'with-proxy', '--no-headers')).trim()), { timeoutMs: 60_000, what: 'job complete' });
    expect((await kubectl('get', 'pods', '-l', 'job-name=with-proxy', '--no-headers')).trim()).toMatch(/^with-proxy-\S+\s+0\/2\s+Completed\s+0\s/);
    expect(await kubectl('logs', 'job/with-proxy', '-c', 'main')).toBe('from-proxy\n');
  });
});
