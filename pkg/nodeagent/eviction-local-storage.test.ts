import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { hasLocalStorageLimits, localStorageSignal, localStorageViolation } from './eviction-local-storage.js';

const Mi = 1024 * 1024;
const pod = (containers: { name: string; limit?: string }[], volumes: { name: string; sizeLimit?: string; medium?: string }[] = []): Pod =>
  ({
    metadata: { name: 'p', uid: 'u' },
    spec: {
      containers: containers.map((c) => ({ name: c.name, image: 'x', resources: c.limit ? { limits: { 'ephemeral-storage': c.limit } } : {} })),
      volumes: volumes.map((v) => ({ name: v.name, emptyDir: { sizeLimit: v.sizeLimit, medium: v.medium } })),
    },
  }) as Pod;
const usage = (disk: number, containers: Record<string, number>, volumes: Record<string, number> = {}) => ({ memory: new Map(), disk, containerDisk: new Map(Object.entries(containers)), volumes: new Map(Object.entries(volumes)) });

describe('local storage eviction', () => {
  it('only looks when some pod has a limit', () => {
    expect(hasLocalStorageLimits([pod([{ name: 'c' }], [{ name: 'd' }])])).toBe(false);
    expect(hasLocalStorageLimits([pod([{ name: 'c' }], [{ name: 'd', sizeLimit: '1Mi', medium: 'Memory' }])])).toBe(false);
    expect(hasLocalStorageLimits([pod([{ name: 'c' }], [{ name: 'd', sizeLimit: '1Mi' }])])).toBe(true);
    expect(hasLocalStorageLimits([pod([{ name: 'c', limit: '1Gi' }])])).toBe(true);
  });

  it('an emptyDir over its sizeLimit', () => {
    const p = pod([{ name: 'c' }], [{ name: 'data', sizeLimit: '1Mi' }]);
    expect(localStorageViolation(p, usage(2 * Mi, { c: 0 }, { data: Mi }))).toBeUndefined();
    expect(localStorageViolation(p, usage(2 * Mi, { c: 0 }, { data: 2 * Mi }))).toBe('Usage of EmptyDir volume "data" exceeds the limit "1Mi". ');
  });

  it('the pod over the sum of its containers\' limits (when every container has one), else a container over its own', () => {
    const both = pod([{ name: 'a', limit: '1Mi' }, { name: 'b', limit: '1Mi' }]);
    expect(localStorageViolation(both, usage(1.5 * Mi, { a: 1.5 * Mi, b: 0 }))).toBe('Container a exceeded its local ephemeral storage limit "1Mi". ');
    expect(localStorageViolation(both, usage(3 * Mi, { a: 1.5 * Mi, b: 1.5 * Mi }))).toBe('Pod ephemeral local storage usage exceeds the total limit of containers 2Mi. ');
    const one = pod([{ name: 'a', limit: '1Mi' }, { name: 'b' }]);
    expect(localStorageViolation(one, usage(5 * Mi, { a: 0.5 * Mi, b: 4.5 * Mi }))).toBeUndefined();
    expect(localStorageViolation(pod([{ name: 'a', limit: '1Mi' }]), usage(2 * Mi, { a: 0.5 * Mi }, { v: 1.5 * Mi }))).toBe('Pod ephemeral local storage usage exceeds the total limit of containers 1Mi. ');
  });

  it("names each violation's signal as kubelet_evictions counts it", () => {
    const both = pod([{ name: 'a', limit: '1Mi' }, { name: 'b', limit: '1Mi' }], [{ name: 'data', sizeLimit: '1Mi' }]);
    const signal = (u: ReturnType<typeof usage>) => localStorageSignal(localStorageViolation(both, u)!);
    expect(signal(usage(2 * Mi, { a: 0, b: 0 }, { data: 2 * Mi }))).toBe('emptydirfs.limit');
    expect(signal(usage(3 * Mi, { a: 1.5 * Mi, b: 1.5 * Mi }))).toBe('ephemeralpodfs.limit');
    expect(signal(usage(1.5 * Mi, { a: 1.5 * Mi, b: 0 }))).toBe('ephemeralcontainerfs.limit');
  });
});
