// The apiserver's identity Lease against the real apiserver and etcd: kube-system/apiserver-<hash>
// as kubectl lists it with 1.32's identity label selector, renewed, and expired identity Leases
// (an apiserver that has gone) garbage-collected while live ones and other Leases stay.
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lease } from '../../pkg/api/types.js';
import { apiserverID } from '../../pkg/apiserver/identity-lease.js';
import { Leases } from '../../pkg/client/rest-client.js';
import { eventually, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlOk } from '../helpers/kubectl.js';

let cp: TestControlPlane;
const cacheDir = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));
beforeAll(async () => {
  // (short periods: renewals every 300 ms, a garbage collection every 500 ms)
  cp = await startControlPlane({ identityLeaseRenewIntervalMs: 300, identityLeaseGCIntervalMs: 500 }, { serviceAccountControllers: false });
}, 60_000);
afterAll(async () => {
  await cp?.stop();
  rmSync(cacheDir, { recursive: true, force: true });
});

const micro = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

describe('apiserver identity Lease', () => {
  it('is kube-system/apiserver-<hash>, held for 3600 s by <name>_<uuid>, labelled, and renewed', async () => {
    const name = apiserverID(hostname());
    const lease = await eventually(() => cp.admin.get<Lease>(Leases, 'kube-system', name), { what: 'the identity lease' });
    expect(lease.metadata?.labels).toEqual({ 'apiserver.kubernetes.io/identity': 'kube-apiserver', 'kubernetes.io/hostname': hostname() });
    expect(lease.spec?.holderIdentity).toMatch(new RegExp(`^${name}_[0-9a-f-]{36}$`));
    expect(lease.spec?.leaseDurationSeconds).toBe(3600);
    expect(lease.metadata?.managedFields?.[0]?.manager).toBe('kube-apiserver');
    await eventually(async () => {
      const renewed = await cp.admin.get<Lease>(Leases, 'kube-system', name);
      return Date.parse(renewed.spec!.renewTime!) > Date.parse(lease.spec!.renewTime!);
    }, { what: 'a renewal' });
    if (hasKubectl) {
      const out = await kubectlOk(cp.kubeconfig, cacheDir, ['get', 'leases', '-n', 'kube-system', '-l', 'apiserver.kubernetes.io/identity=kube-apiserver', '-o', 'custom-columns=NAME:.metadata.name,HOLDER:.spec.holderIdentity', '--no-headers']);
      expect(out.trim()).toBe(`${name}   ${lease.spec!.holderIdentity}`);
    }
  });

  it('expired identity Leases are deleted; live ones and other Leases stay', async () => {
    const identity = { 'apiserver.kubernetes.io/identity': 'kube-apiserver' };
    const make = (n: string, labels: Record<string, string>, renewedAgoMs: number) =>
      cp.admin.create<Lease>(Leases, 'kube-system', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: n, labels }, spec: { holderIdentity: `${n}_x`, leaseDurationSeconds: 3600, renewTime: micro(Date.now() - renewedAgoMs) } });
    await make('apiserver-gone', identity, 3601_000);
    await make('apiserver-alive', identity, 60_000);
    await make('not-an-apiserver', {}, 7200_000);
    await eventually(async () => {
      const names = (await cp.admin.list<Lease>(Leases, 'kube-system')).items.map((l) => l.metadata!.name);
      if (names.includes('apiserver-gone')) throw new Error('apiserver-gone not collected yet');
      expect(names).toEqual(expect.arrayContaining(['apiserver-alive', 'not-an-apiserver', apiserverID(hostname())]));
      return true;
    }, { what: 'the expired identity lease deleted' });
  });
});
