import { describe, expect, it } from 'vitest';
import { podTotalsMilli } from './pod-resources.js';
import { usageOf } from './quota.js';
import type { Container, Pod } from './types.js';

const c = (name: string, cpu: string, memory: string, extra: Partial<Container> = {}): Container => ({ name, image: 'busybox', resources: { requests: { cpu, memory }, limits: { cpu, memory } }, ...extra });
const pod = (initContainers: Container[], containers: Container[], overhead?: Record<string, string>): Pod => ({ metadata: { name: 'p' }, spec: { initContainers, containers, ...(overhead ? { overhead } : {}) } });
const obj = (m: Map<string, number>) => Object.fromEntries(m);

describe('podTotalsMilli (PodRequests / PodLimits)', () => {
  it('sums app containers, raised to the largest ordinary init container', () => {
    const p = pod([c('init', '2', '100')], [c('a', '500m', '10'), c('b', '500m', '10')]);
    expect(obj(podTotalsMilli(p, 'requests'))).toEqual({ cpu: 2000, memory: 100_000 });
  });

  it('adds sidecars to the app containers and to every init container started after them', () => {
    const side = (n: string, cpu: string) => c(n, cpu, '10', { restartPolicy: 'Always' });
    // init-1 runs alone (1 cpu); side-1 (200m) then runs with init-2 (1 cpu) = 1.2; app (300m) + both sidecars (200m + 100m) = 600m
    const p = pod([c('init-1', '1', '10'), side('side-1', '200m'), c('init-2', '1', '10'), side('side-2', '100m')], [c('app', '300m', '10')]);
    expect(podTotalsMilli(p, 'requests').get('cpu')).toBe(1200);
    expect(podTotalsMilli(p, 'limits').get('cpu')).toBe(1200);
    // memory: app + two sidecars = 30; init-2 + side-1 = 20
    expect(podTotalsMilli(p, 'requests').get('memory')).toBe(30_000);
    // with larger app containers, app + sidecars win
    const q = pod([side('side', '500m'), c('init', '1', '10')], [c('app', '1', '10')]);
    expect(podTotalsMilli(q, 'requests').get('cpu')).toBe(1500);
  });

  it('adds the overhead when asked (to requests, and to limits only where set)', () => {
    const p = pod([c('side', '100m', '10', { restartPolicy: 'Always' })], [{ name: 'app', image: 'x', resources: { requests: { cpu: '100m' } } }], { cpu: '50m', memory: '5' });
    expect(obj(podTotalsMilli(p, 'requests', { overhead: true }))).toEqual({ cpu: 250, memory: 15_000 });
    expect(obj(podTotalsMilli(p, 'limits', { overhead: true }))).toEqual({ cpu: 150, memory: 15_000 });
  });
});

describe('ResourceQuota usage of a pod with sidecars', () => {
  it('charges the app containers plus the sidecars', () => {
    const p = pod([c('side', '250m', '64Mi', { restartPolicy: 'Always' }), c('init', '100m', '1Mi')], [c('app', '500m', '128Mi')]);
    const u = usageOf('pods', '', p);
    expect(u.get('requests.cpu')).toBe(750);
    expect(u.get('limits.memory')).toBe(192 * 1024 * 1024 * 1000);
  });
});
