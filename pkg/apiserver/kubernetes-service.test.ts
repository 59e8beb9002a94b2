import { describe, expect, it } from 'vitest';
import { reconcileKubernetesEndpoints } from './kubernetes-service.js';
import type { RequestContext, Store } from './registry/store.js';

describe('reconcileKubernetesEndpoints', () => {
  it('refuses to erase every endpoint when no apiserver lease is listed, as 1.32 doReconcile does', async () => {
    const untouched = new Proxy({}, { get: (_t, p) => () => Promise.reject(new Error(`store.${String(p)} called`)) }) as unknown as Store;
    await expect(reconcileKubernetesEndpoints({ endpoints: untouched, endpointslices: untouched }, { clusterIP: '10.96.0.1', port: 6443, apiservers: [] }, {} as RequestContext)).rejects.toThrow(
      'no master IPs were listed in storage, refusing to erase all endpoints for the kubernetes service',
    );
  });
});
