// Pod Security levels and versions from namespace labels, the existing-pod warnings and significant updates.
import { describe, expect, it } from 'vitest';
import { existingPodWarnings, isSignificantPodUpdate, LATEST, parseVersion, policyFromLabels, type CheckedPodSpec, type Level, type LevelVersion, type PodForCheck } from './pod-security.js';
import { formatFieldError } from './field-error.js';

const at = (level: Level, version = 'latest'): LevelVersion => ({ level, version: version === 'latest' ? LATEST : { latest: false, minor: Number(version.slice(3)) } });

describe('versions and namespace labels', () => {
  it('parses versions as Kubernetes', () => {
    expect(parseVersion('latest')).toEqual(LATEST);
    expect(parseVersion('v1.24')).toEqual({ latest: false, minor: 24 });
    expect(parseVersion('v1.0')).toEqual({ latest: false, minor: 0 });
    for (const bad of ['v1', '1.24', 'v1.024', 'v2.1', 'v1.x', ''] as const) expect(parseVersion(bad)).toEqual({ error: 'must be "latest" or "v1.x"' });
  });

  it('reads the labels, defaults warn to a stricter enforce, and reports bad values', () => {
    const p = policyFromLabels({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.24' });
    expect(p.errors).toEqual([]);
    expect(p.policy.enforce).toEqual({ level: 'baseline', version: { latest: false, minor: 24 } });
    expect(p.policy.warn).toEqual({ level: 'baseline', version: { latest: false, minor: 24 } });
    expect(p.policy.audit).toEqual({ level: 'privileged', version: LATEST });
    expect(policyFromLabels({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/warn': 'privileged' }).policy.warn.level).toBe('privileged');
    expect(policyFromLabels(undefined).policy.enforce.level).toBe('privileged');
    const bad = policyFromLabels({ 'pod-security.kubernetes.io/enforce': 'strict', 'pod-security.kubernetes.io/warn-version': 'v1', 'pod-security.kubernetes.io/audit': 'x' });
    expect(bad.errors.map(formatFieldError)).toEqual([
      'metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted',
      'metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: "x": must be one of privileged, baseline, restricted',
      'metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "v1": must be "latest" or "v1.x"',
    ]);
    // (a bad enforce level fails closed, a bad audit level open)
    expect(bad.policy.enforce.level).toBe('restricted');
    expect(bad.policy.audit.level).toBe('privileged');
  });
});

describe('existing pods when enforce gets stricter', () => {
  const pod = (name: string, spec: CheckedPodSpec, owner?: string): PodForCheck => ({ metadata: { name, ...(owner ? { ownerReferences: [{ uid: owner, controller: true }] } : {}) }, spec });
  const privileged = { containers: [{ name: 'c', securityContext: { privileged: true } }] };
  const hostNet = { hostNetwork: true, containers: [{ name: 'c' }] };

  it('groups pods by their reasons under the first name', () => {
    const pods = [pod('p3', privileged), pod('p1', privileged), pod('p2', privileged), pod('h', hostNet), pod('fine', { containers: [{ name: 'c' }] }), pod('q2', hostNet), pod('z', { ...hostNet, ...privileged, hostNetwork: true })];
    expect(existingPodWarnings('ns', at('baseline'), pods)).toEqual([
      'existing pods in namespace "ns" violate the new PodSecurity enforce level "baseline:latest"',
      'h (and 1 other pod): host namespaces',
      'p1 (and 2 other pods): privileged',
      'z: host namespaces, privileged',
    ]);
    expect(existingPodWarnings('ns', at('baseline'), [pod('fine', { containers: [{ name: 'c' }] })])).toEqual([]);
  });

  it('checks one pod per controller first and says when it stopped early', () => {
    const pods = [pod('a1', privileged, 'rs'), pod('a2', privileged, 'rs'), pod('b', hostNet)];
    expect(existingPodWarnings('ns', at('baseline'), pods, { maxPods: 2 })).toEqual([
      'new PodSecurity enforce level only checked against the first 2 of 3 existing pods',
      'existing pods in namespace "ns" violate the new PodSecurity enforce level "baseline:latest"',
      'a1: privileged',
      'b: host namespaces',
    ]);
  });
});

describe('significant pod updates', () => {
  it('are image changes and added containers only', () => {
    const old = { containers: [{ name: 'a', image: 'x:1' }], ephemeralContainers: [{ name: 'e', image: 'busybox' }] };
    expect(isSignificantPodUpdate({ containers: [{ name: 'a', image: 'x:1' }], ephemeralContainers: [{ name: 'e', image: 'busybox' }] }, old)).toBe(false);
    expect(isSignificantPodUpdate({ containers: [{ name: 'a', image: 'x:2' }], ephemeralContainers: [{ name: 'e', image: 'busybox' }] }, old)).toBe(true);
    expect(isSignificantPodUpdate({ ...old, ephemeralContainers: [...old.ephemeralContainers, { name: 'f', image: 'busybox' }] }, old)).toBe(true);
    expect(isSignificantPodUpdate({ ...old, initContainers: [{ name: 'i', image: 'y' }] }, old)).toBe(true);
  });

  it('are also changes to the seccomp annotations of the pod or of one of its containers, not to other annotations', () => {
    const spec = { containers: [{ name: 'a', image: 'x:1' }], ephemeralContainers: [{ name: 'e', image: 'busybox' }] };
    const was = { team: 'a', 'container.seccomp.security.alpha.kubernetes.io/a': 'runtime/default' };
    expect(isSignificantPodUpdate(spec, spec, { ...was, team: 'b' }, was)).toBe(false);
    expect(isSignificantPodUpdate(spec, spec, { ...was, 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' }, was)).toBe(true);
    expect(isSignificantPodUpdate(spec, spec, { ...was, 'container.seccomp.security.alpha.kubernetes.io/a': 'unconfined' }, was)).toBe(true);
    expect(isSignificantPodUpdate(spec, spec, { ...was, 'container.seccomp.security.alpha.kubernetes.io/e': 'unconfined' }, was)).toBe(true);
    expect(isSignificantPodUpdate(spec, spec, { ...was, 'container.seccomp.security.alpha.kubernetes.io/other': 'unconfined' }, was)).toBe(false);
  });
});
