// kubectl diff against the apiserver: the live object and the one a dry-run apply would store
// (client-side apply's strategic merge patch, and --server-side), shown with diff -u; nothing is
// written, a new object shows whole, and no change gives exit code 0.
import { describe, expect, it } from 'vitest';
import { hasKubectl, kubectlControlPlane } from '../helpers/kubectl.js';

const k = kubectlControlPlane();

const deployment = (replicas: number, image: string, extraLabel = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web${extraLabel ? `, ${extraLabel}` : ''}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: main, image: ${image}}
`;
const rv = () => k.kubectl('get', 'deploy', 'web', '-o', 'jsonpath={.metadata.resourceVersion}');

describe.skipIf(!hasKubectl)('kubectl diff', () => {
  it('shows what an apply would change, writing nothing; no change is exit code 0', async () => {
    await k.kubectlIn(deployment(1, 'busybox:1.36'), 'apply', '-f', '-');
    const before = await rv();
    const same = await k.run(['diff', '-f', '-'], deployment(1, 'busybox:1.36'));
    expect(same).toMatchObject({ code: 0, out: '' });
    const changed = await k.run(['diff', '-f', '-'], deployment(3, 'busybox:1.37', 'tier: front'));
    expect(changed.code).toBe(1);
    expect(changed.out).toMatch(/^diff -u -N \S+\/apps\.v1\.Deployment\.default\.web \S+\/apps\.v1\.Deployment\.default\.web$/m);
    for (const line of ['-  replicas: 1', '+  replicas: 3', '-      - image: busybox:1.36', '+      - image: busybox:1.37', '+    tier: front']) expect(changed.out.split('\n')).toContain(line);
    // The generation a write would bump shows too; nothing was stored.
    expect(changed.out).toMatch(/^-  generation: 1$/m);
    expect(changed.out).toMatch(/^\+  generation: 2$/m);
    expect(await rv()).toBe(before);
    expect(await k.kubectl('get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}')).toBe('1 busybox:1.36');
  });

  it('--server-side diffs a server-side apply; a new object shows whole and is not created', async () => {
    const ss = await k.run(['diff', '--server-side', '--force-conflicts', '-f', '-'], deployment(2, 'busybox:1.36'));
    expect(ss.code).toBe(1);
    expect(ss.out.split('\n')).toContain('+  replicas: 2');
    const fresh = await k.run(['diff', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fresh}\ndata: {a: b}\n');
    expect(fresh.code).toBe(1);
    expect(fresh.out).toMatch(/^\+kind: ConfigMap$/m);
    expect(fresh.out).toMatch(/^\+  a: b$/m);
    expect((await k.run(['get', 'cm', 'fresh'])).code).toBe(1);
  });
});
