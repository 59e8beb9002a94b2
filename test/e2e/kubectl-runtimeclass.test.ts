// RuntimeClasses end to end with the stock kubectl on a real single-node cluster: `kubectl apply`
// of classes, `kubectl get runtimeclass` with kube's columns, a pod of a runc class running with
// the class's overhead, and `kubectl describe pod` of a pod whose handler the node lacks showing
// the FailedCreatePodSandBox event.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt, kubectlOk } from '../helpers/kubectl.js';
import { image, startCluster, type Cluster } from '../nodeagent/harness.js';

let c: Cluster;
const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));

beforeAll(async () => {
  if (!hasKubectl) return;
  c = await startCluster({ podCIDR: '10.199.2.128/25' });
}, 180_000);
afterAll(async () => {
  await c?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

const kubectl = (...args: string[]) => kubectlOk(c.cp.kubeconfig, cacheDir, args);
const apply = (yaml: string) => kubectlOk(c.cp.kubeconfig, cacheDir, ['apply', '-f', '-'], yaml);

const classes = `apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: standard
handler: runc
overhead:
  podFixed: {cpu: 50m, memory: 16Mi}
---
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: kata
handler: kata-qemu
`;
const pod = (name: string, runtimeClassName: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  runtimeClassName: ${runtimeClassName}
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ${image}
    imagePullPolicy: IfNotPresent
    command: [sleep, "3600"]
`;

describe.skipIf(!hasKubectl)('kubectl and RuntimeClasses', () => {
  it('applies and lists runtime classes with NAME HANDLER AGE', async () => {
    expect(await apply(classes)).toBe('runtimeclass.node.k8s.io/standard created\nruntimeclass.node.k8s.io/kata created\n');
    const lines = (await kubectl('get', 'runtimeclass')).trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+HANDLER\s+AGE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ['kata', 'kata-qemu'],
      ['standard', 'runc'],
    ]);
    // a second apply with a changed handler is refused: the handler is immutable
    const r = await kubectlAt(c.cp.kubeconfig, cacheDir, ['apply', '-f', '-'], classes.replace('handler: runc', 'handler: crun'));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('handler: Invalid value: "crun": field is immutable');
  });

  it('runs a pod of a runc class with its overhead, and describes a pod whose handler the node lacks', async () => {
    await apply(pod('standard-pod', 'standard'));
    await eventually(async () => (await kubectl('get', 'pod', 'standard-pod', '-o', 'jsonpath={.status.phase}')) === 'Running', { timeoutMs: 60_000, what: 'standard-pod running' });
    expect(await kubectl('get', 'pod', 'standard-pod', '-o', 'jsonpath={.spec.overhead}')).toBe('{"cpu":"50m","memory":"16Mi"}');

    const refused = await kubectlAt(c.cp.kubeconfig, cacheDir, ['apply', '-f', '-'], pod('nowhere', 'missing'));
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain('pods "nowhere" is forbidden: pod rejected: RuntimeClass "missing" not found');

    await apply(pod('kata-pod', 'kata'));
    const described = await eventually(async () => {
      const out = await kubectl('describe', 'pod', 'kata-pod');
      return out.includes('FailedCreatePodSandBox') ? out : undefined;
    }, { timeoutMs: 30_000, what: 'the FailedCreatePodSandBox event in kubectl describe' });
    expect(described).toMatch(/Status:\s+Pending/);
    expect(described).toMatch(/Runtime Class Name:\s+kata/);
    expect(described).toMatch(/Warning\s+FailedCreatePodSandBox\s+.*kubelet\s+Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox runtime: no runtime for "kata-qemu" is configured/);
    expect(described).toMatch(/State:\s+Waiting\s+Reason:\s+ContainerCreating/);
    await kubectl('delete', 'pod', 'kata-pod', 'standard-pod', '--wait=true');
  });
});
