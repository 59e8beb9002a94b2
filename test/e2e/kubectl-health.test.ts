// kubectl get --raw of the apiserver's health endpoints, as users and monitoring check them:
// /readyz?verbose lists the named checks, /readyz/etcd runs one, an unknown check is a 404.
import { describe, expect, it } from 'vitest';
import { hasKubectl, kubectlControlPlane } from '../helpers/kubectl.js';

const { kubectl, run } = kubectlControlPlane();

describe.skipIf(!hasKubectl)('kubectl get --raw of the health endpoints', () => {
  it('/readyz?verbose and /livez?verbose list their checks', async () => {
    expect(await kubectl('get', '--raw', '/readyz?verbose')).toBe(
      '[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]etcd-readiness ok\n[+]informer-sync ok\n[+]shutdown ok\nreadyz check passed\n',
    );
    expect(await kubectl('get', '--raw', '/livez?verbose')).toBe('[+]ping ok\n[+]log ok\n[+]etcd ok\nlivez check passed\n');
    expect(await kubectl('get', '--raw', '/healthz')).toBe('ok');
  });

  it('/readyz/etcd runs one check; an unknown check is not found', async () => {
    expect(await kubectl('get', '--raw', '/readyz/etcd')).toBe('ok');
    expect(await kubectl('get', '--raw', '/livez/ping')).toBe('ok');
    const r = await run(['get', '--raw', '/readyz/nosuch']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('NotFound');
  });
});
