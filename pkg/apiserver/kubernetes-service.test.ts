import { describe, expect, it } from 'vitest';
import type { EndpointSlice, KubeObject } from '../api/types.js';
import { masterLeaseIPs, masterLeaseKey, masterLeaseValue, reconcileKubernetesEndpoints } from './kubernetes-service.js';
import type { RequestContext, Store } from './registry/store.js';

describe('reconcileKubernetesEndpoints', () => {
  it('refuses to erase every endpoint when no apiserver lease is listed, as 1.32 doReconcile does', async () => {
    const untouched = new Proxy({}, { get: (_t, p) => () => Promise.reject(new Error(`store.${String(p)} called`)) }) as unknown as Store;
    await expect(reconcileKubernetesEndpoints({ endpoints: untouched, endpointslices: untouched }, { clusterIP: '10.96.0.1', port: 6443, apiservers: [] }, {} as RequestContext)).rejects.toThrow(
      'no master IPs were listed in storage, refusing to erase all endpoints for the kubernetes service',
    );
  });
});

describe('master leases', () => {
  it('key an apiserver by its advertised IP as net.IP String writes it, no port (reconcilers/lease.go UpdateLease)', () => {
    expect(masterLeaseKey('10.0.0.1')).toBe('/registry/masterleases/10.0.0.1');
    expect(masterLeaseKey('::1')).toBe('/registry/masterleases/::1');
    expect(masterLeaseKey('FD00:0:0:0::0:10')).toBe('/registry/masterleases/fd00::10');
  });

  it('hold an Endpoints naming the IP, its generation one more at each renewal; the IPs listed are the leases\' first addresses', () => {
    const first = masterLeaseValue('FD00::1');
    expect(JSON.parse(first)).toEqual({ kind: 'Endpoints', apiVersion: 'v1', metadata: { generation: 1 }, subsets: [{ addresses: [{ ip: 'fd00::1' }] }] });
    expect(JSON.parse(masterLeaseValue('FD00::1', first)).metadata.generation).toBe(2);
    // (a lease of the older form, an empty value: renewed as a new one, and not listed)
    expect(JSON.parse(masterLeaseValue('10.0.0.1', '')).metadata.generation).toBe(1);
    expect(masterLeaseIPs([first, masterLeaseValue('10.0.0.2'), '', '{"kind":"Endpoints"}'])).toEqual(['fd00::1', '10.0.0.2']);
  });
});

describe('the kubernetes EndpointSlice', () => {
  it('is of addressType IPv6 when every apiserver address is (endpointsadapter.go endpointSliceFromEndpoints)', async () => {
    const written: KubeObject[] = [];
    const store = { create: async (_ns: string, obj: KubeObject) => void written.push(obj) } as unknown as Store;
    await reconcileKubernetesEndpoints({ endpoints: store, endpointslices: store }, { clusterIP: 'fd00:96::1', port: 6443, apiservers: [{ address: 'fd00::1', port: 6443 }, { address: 'fd00::2', port: 6443 }] }, {} as RequestContext);
    const slice = written.find((o) => o.kind === 'EndpointSlice') as EndpointSlice;
    expect(slice.addressType).toBe('IPv6');
    expect(slice.endpoints?.map((e) => e.addresses)).toEqual([['fd00::1'], ['fd00::2']]);
  });
});
