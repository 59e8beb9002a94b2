// The pod cgroup's limits (the kubelet's ResourceConfigForPod), overhead included.
import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '../api/types.js';
import { podLinuxResources, sandboxConfig } from './container-config.js';

const c = (name: string, requests?: Record<string, string>, limits?: Record<string, string>): Container => ({ name, image: 'busybox', resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } });
const pod = (containers: Container[], overhead?: Record<string, string>, initContainers: Container[] = []): Pod => ({
  metadata: { name: 'p', namespace: 'default', uid: 'u' },
  spec: { containers, initContainers, ...(overhead ? { overhead } : {}) },
});

describe('podLinuxResources', () => {
  it('limits a Guaranteed pod to the sum of its limits plus the overhead', () => {
    const r = podLinuxResources(pod([c('a', undefined, { cpu: '500m', memory: '64Mi' }), c('b', undefined, { cpu: '250m', memory: '32Mi' })], { cpu: '250m', memory: '32Mi' }));
    // shares from the requests (= limits) plus overhead: 1000m → 1024
    expect(r).toEqual({ cpuShares: 1024, cpuPeriod: 100_000, cpuQuota: 100_000, memoryLimitInBytes: 128 * 1024 * 1024 });
  });

  it('limits a Burstable pod only in what every container limits', () => {
    const mixed = podLinuxResources(pod([c('a', { cpu: '100m' }, { cpu: '200m', memory: '64Mi' }), c('b', { cpu: '100m' }, { memory: '32Mi' })], { cpu: '100m', memory: '16Mi' }));
    // b has no cpu limit: no quota; both limit memory: 64+32+16 Mi
    expect(mixed).toEqual({ cpuShares: Math.floor((300 * 1024) / 1000), memoryLimitInBytes: 112 * 1024 * 1024 });
    // an init container without a memory limit leaves the pod's memory unlimited
    const init = podLinuxResources(pod([c('a', { cpu: '100m' }, { cpu: '1', memory: '64Mi' })], undefined, [c('i', undefined, { cpu: '1' })]));
    expect(init).toEqual({ cpuShares: 1024, cpuPeriod: 100_000, cpuQuota: 100_000 });
  });

  it('adds the limits of sidecars to those of the app containers', () => {
    const side = { ...c('side', undefined, { cpu: '200m', memory: '32Mi' }), restartPolicy: 'Always' };
    // app 300m + sidecar 200m = 500m (the init container's 400m + 200m = 600m while it runs is more)
    const r = podLinuxResources(pod([c('app', undefined, { cpu: '300m', memory: '64Mi' })], undefined, [side, c('init', undefined, { cpu: '400m', memory: '16Mi' })]));
    expect(r).toEqual({ cpuShares: 614, cpuPeriod: 100_000, cpuQuota: 60_000, memoryLimitInBytes: 96 * 1024 * 1024 });
  });

  it('gives a BestEffort pod the minimum shares and no limits, overhead or not', () => {
    expect(podLinuxResources(pod([c('a')], { cpu: '1', memory: '1Gi' }))).toEqual({ cpuShares: 2 });
  });

  it('is what the sandbox is made with, beside the runtime handler', () => {
    const p = pod([c('a', undefined, { cpu: '100m', memory: '16Mi' })], { cpu: '100m' });
    const cfg = sandboxConfig(p, { attempt: 0, dnsServers: [], runtimeHandler: 'kata' });
    expect(cfg.resources).toEqual({ cpuShares: 204, cpuPeriod: 100_000, cpuQuota: 20_000, memoryLimitInBytes: 16 * 1024 * 1024 });
    expect(cfg.runtimeHandler).toBe('kata');
    expect(sandboxConfig(p, { attempt: 0, dnsServers: [] }).runtimeHandler).toBeUndefined();
  });
});
