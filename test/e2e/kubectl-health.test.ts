// kubectl get --raw of the apiserver's health endpoints, as users and monitoring check them:
// /readyz?verbose lists the named checks, /readyz/etcd runs one, an unknown check is a 404.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt, kubectlOk } from '../helpers/kubectl.js';

let cp: TestControlPlane;
const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));

beforeAll(async () => {
  if (hasKubectl) cp = await startControlPlane();
}, 60_000);
afterAll(async () => {
  await cp?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe.skipIf(!hasKubectl)('kubectl get --raw of the health endpoints', () => {
  it('/readyz?verbose and /livez?verbose list their checks', async () => {
    expect(await kubectlOk(cp.kubeconfig, cacheDir, ['get', '--raw', '/readyz?verbose'])).toBe(
      '[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]etcd-readiness ok\n[+]informer-sync ok\n[+]shutdown ok\nreadyz check passed\n',
    );
    expect(await kubectlOk(cp.kubeconfig, cacheDir, ['get', '--raw', '/livez?verbose'])).toBe('[+]ping ok\n[+]log ok\n[+]etcd ok\nlivez check passed\n');
    expect(await kubectlOk(cp.kubeconfig, cacheDir, ['get', '--raw', '/healthz'])).toBe('ok');
  });

  it('/readyz/etcd runs one check; an unknown check is not found', async () => {
    expect(await kubectlOk(cp.kubeconfig, cacheDir, ['get', '--raw', '/readyz/etcd'])).toBe('ok');
    expect(await kubectlOk(cp.kubeconfig, cacheDir, ['get', '--raw', '/livez/ping'])).toBe('ok');
    const r = await kubectlAt(cp.kubeconfig, cacheDir, ['get', '--raw', '/readyz/nosuch']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('NotFound');
  });
});
