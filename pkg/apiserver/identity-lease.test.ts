import { describe, expect, it } from 'vitest';
import type { Lease } from '../api/types.js';
import { apiserverID, collectExpiredIdentityLeases, IDENTITY_LABEL, IdentityLeaseController, type IdentityLeaseAccess } from './identity-lease.js';

/** kube-system's Leases in memory, with resourceVersions checked on update as the store checks them. */
function fakeLeases() {
  const items = new Map<string, Lease>();
  let rv = 1;
  const calls: string[] = [];
  const access: IdentityLeaseAccess = {
    get: async (name) => {
      calls.push(`get ${name}`);
      return structuredClone(items.get(name));
    },
    create: async (lease) => {
      calls.push(`create ${lease.metadata!.name}`);
      if (items.has(lease.metadata!.name!)) throw new Error('exists');
      const stored = { ...structuredClone(lease), metadata: { ...lease.metadata, resourceVersion: String(++rv) } };
      items.set(lease.metadata!.name!, stored);
      return structuredClone(stored);
    },
    update: async (lease) => {
      calls.push(`update ${lease.metadata!.name}`);
      const old = items.get(lease.metadata!.name!);
      if (!old || old.metadata!.resourceVersion !== lease.metadata!.resourceVersion) throw new Error('conflict');
      const stored = { ...structuredClone(lease), metadata: { ...lease.metadata, resourceVersion: String(++rv) } };
      items.set(lease.metadata!.name!, stored);
      return structuredClone(stored);
    },
    listIdentityLeases: () => [...items.values()].filter((l) => l.metadata?.labels?.[IDENTITY_LABEL] === 'kube-apiserver').map((l) => structuredClone(l)),
    delete: async (name) => {
      calls.push(`delete ${name}`);
      items.delete(name);
    },
  };
  return { items, access, calls };
}

describe('apiserver identity', () => {
  it('is apiserver- and the base32 of the hashed, length-prefixed host name and kube-apiserver', () => {
    // sha256(00 05 "node1" 00 0e "kube-apiserver")[:16], base32 without padding, lower case
    expect(apiserverID('node1')).toBe('apiserver-hbz46noag6fulempxd2cbk6bvq');
    expect(apiserverID('node1')).toMatch(/^apiserver-[a-z2-7]{26}$/);
    expect(apiserverID('node2')).not.toBe(apiserverID('node1'));
  });
});

describe('IdentityLeaseController', () => {
  it('creates kube-system/apiserver-<hash> held by <name>_<uuid> for 3600 s with the identity and hostname labels', async () => {
    const f = fakeLeases();
    let now = Date.parse('2026-12-03T10:00:00.123456Z');
    const c = new IdentityLeaseController(f.access, 'node1', () => now, () => 'u-1');
    await c.sync();
    const lease = f.items.get('apiserver-hbz46noag6fulempxd2cbk6bvq')!;
    expect(lease.metadata).toMatchObject({ name: 'apiserver-hbz46noag6fulempxd2cbk6bvq', namespace: 'kube-system', labels: { 'apiserver.kubernetes.io/identity': 'kube-apiserver', 'kubernetes.io/hostname': 'node1' } });
    expect(lease.spec).toEqual({ holderIdentity: 'apiserver-hbz46noag6fulempxd2cbk6bvq_u-1', leaseDurationSeconds: 3600, renewTime: '2026-12-03T10:00:00.123000Z' });
    expect(f.calls).toEqual(['get apiserver-hbz46noag6fulempxd2cbk6bvq', 'create apiserver-hbz46noag6fulempxd2cbk6bvq']);

    // renewals update the last written Lease without reading it again
    now += 10_000;
    f.calls.length = 0;
    await c.sync();
    expect(f.calls).toEqual(['update apiserver-hbz46noag6fulempxd2cbk6bvq']);
    expect(f.items.get(c.name)!.spec!.renewTime).toBe('2026-12-03T10:00:10.123000Z');
  });

  it('takes over the Lease left by its previous run (same name) and puts its labels back', async () => {
    const f = fakeLeases();
    const name = apiserverID('node1');
    f.items.set(name, { metadata: { name, namespace: 'kube-system', resourceVersion: '7', labels: { keep: 'me' } }, spec: { holderIdentity: `${name}_old`, leaseDurationSeconds: 3600, renewTime: '2026-12-03T09:00:00.000000Z' } });
    const c = new IdentityLeaseController(f.access, 'node1', () => Date.parse('2026-12-03T10:00:00Z'), () => 'new');
    await c.sync();
    expect(f.calls).toEqual([`get ${name}`, `update ${name}`]);
    const lease = f.items.get(name)!;
    expect(lease.metadata!.labels).toEqual({ keep: 'me', 'apiserver.kubernetes.io/identity': 'kube-apiserver', 'kubernetes.io/hostname': 'node1' });
    // (newLease keeps the stored spec and renews it: the holder changes only on create)
    expect(lease.spec!.renewTime).toBe('2026-12-03T10:00:00.000000Z');
  });

  it('reads the Lease again when the update from its last copy fails (someone else wrote it), and creates a deleted one', async () => {
    const f = fakeLeases();
    const c = new IdentityLeaseController(f.access, 'node1', () => Date.parse('2026-12-03T10:00:00Z'), () => 'u');
    await c.sync();
    const stored = f.items.get(c.name)!;
    f.items.set(c.name, { ...stored, metadata: { ...stored.metadata, resourceVersion: '999' } });
    f.calls.length = 0;
    await c.sync();
    // (a failed update falls back to ensuring the lease: a fresh read, then the update)
    expect(f.calls).toEqual([`update ${c.name}`, `get ${c.name}`, `update ${c.name}`]);
    expect(f.items.get(c.name)!.metadata!.resourceVersion).not.toBe('999');
    f.items.delete(c.name);
    f.calls.length = 0;
    await c.sync();
    expect(f.calls).toEqual([`update ${c.name}`, `get ${c.name}`, `create ${c.name}`]);
    expect(f.items.get(c.name)?.spec?.holderIdentity).toBe(`${c.name}_u`);
  });
});

describe('collectExpiredIdentityLeases', () => {
  it('deletes identity Leases past renewTime + duration or without them, and no others', async () => {
    const f = fakeLeases();
    const now = Date.parse('2026-12-03T12:00:00Z');
    const identity = { 'apiserver.kubernetes.io/identity': 'kube-apiserver' };
    const lease = (name: string, spec: Lease['spec'], labels: Record<string, string> = identity): Lease => ({ metadata: { name, namespace: 'kube-system', labels, resourceVersion: '1' }, spec });
    f.items.set('apiserver-live', lease('apiserver-live', { renewTime: '2026-12-03T11:00:01.000000Z', leaseDurationSeconds: 3600 }));
    f.items.set('apiserver-gone', lease('apiserver-gone', { renewTime: '2026-12-03T10:59:59.000000Z', leaseDurationSeconds: 3600 }));
    f.items.set('apiserver-bare', lease('apiserver-bare', { holderIdentity: 'x' }));
    f.items.set('kube-scheduler', lease('kube-scheduler', { renewTime: '2026-12-01T00:00:00.000000Z', leaseDurationSeconds: 15 }, {}));
    expect((await collectExpiredIdentityLeases(f.access, () => now)).sort()).toEqual(['apiserver-bare', 'apiserver-gone']);
    expect([...f.items.keys()].sort()).toEqual(['apiserver-live', 'kube-scheduler']);
  });

  it('leaves a Lease that was renewed after the cache saw it expired', async () => {
    const f = fakeLeases();
    const stale: Lease = { metadata: { name: 'apiserver-a', namespace: 'kube-system', labels: { 'apiserver.kubernetes.io/identity': 'kube-apiserver' } }, spec: { renewTime: '2026-12-03T10:00:00.000000Z', leaseDurationSeconds: 60 } };
    f.items.set('apiserver-a', { ...stale, spec: { ...stale.spec, renewTime: '2026-12-03T11:59:59.000000Z' } });
    const access = { ...f.access, listIdentityLeases: () => [stale] };
    expect(await collectExpiredIdentityLeases(access, () => Date.parse('2026-12-03T12:00:00Z'))).toEqual([]);
    expect(f.items.has('apiserver-a')).toBe(true);
  });
});
