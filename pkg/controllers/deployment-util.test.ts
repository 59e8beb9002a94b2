import { describe, expect, it } from 'vitest';
import type { PodTemplateSpec } from '../api/types.js';
import * as u from './deployment-util.js';

const template = (image: string): PodTemplateSpec => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } });
const d = (replicas: number, maxSurge: number | string, maxUnavailable: number | string): u.D => ({
  metadata: { name: 'web', namespace: 'default', generation: 1 },
  spec: { replicas, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } }, template: template('a') },
});
const rs = (name: string, replicas: number, available = replicas, created = '2026-01-01T00:00:00Z'): u.RS => ({
  metadata: { name, creationTimestamp: created },
  spec: { replicas },
  status: { replicas, availableReplicas: available, readyReplicas: available },
});

describe('computeHash', () => {
  it('is stable, ignores key order, changes with the template and the collision count, and uses the safe alphabet', () => {
    const a = u.computeHash(template('busybox:1'));
    expect(a).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(u.computeHash({ spec: { containers: [{ image: 'busybox:1', name: 'c' }] }, metadata: { labels: { app: 'web' } } })).toBe(a);
    expect(u.computeHash(template('busybox:2'))).not.toBe(a);
    expect(u.computeHash(template('busybox:1'), 1)).not.toBe(a);
  });

  it("sees no difference in what Go's omitempty drops (a template's name: \"\", annotations: {}, a zero host port)", () => {
    const spelled: PodTemplateSpec = { metadata: { name: '', annotations: {}, labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'a', ports: [{ containerPort: 80, hostPort: 0 }], stdin: false }] } };
    const clean: PodTemplateSpec = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'a', ports: [{ containerPort: 80 }] }] } };
    expect(u.equalIgnoreHash(spelled, clean)).toBe(true);
    expect(u.computeHash(spelled)).toBe(u.computeHash(clean));
    expect(spelled.metadata).toEqual({ name: '', annotations: {}, labels: { app: 'web' } });
    expect(u.equalIgnoreHash(spelled, { ...clean, metadata: { name: 'x', labels: { app: 'web' } } })).toBe(false);
  });

  it('equalIgnoreHash ignores the pod-template-hash label only', () => {
    const withHash = template('x');
    withHash.metadata!.labels![u.POD_TEMPLATE_HASH] = 'abc';
    expect(u.equalIgnoreHash(withHash, template('x'))).toBe(true);
    expect(u.equalIgnoreHash(withHash, template('y'))).toBe(false);
    // As kubectl rollout undo sends a template back: Go's nulls and empty structs.
    const fromGo = { metadata: { creationTimestamp: null, labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x', resources: {} }] } } as unknown as PodTemplateSpec;
    expect(u.equalIgnoreHash(withHash, fromGo)).toBe(true);
  });
});

describe('rolling update arithmetic', () => {
  it('resolves fenceposts: surge rounds up, unavailable down, never both zero', () => {
    expect(u.resolveFenceposts('25%', '25%', 10)).toEqual({ surge: 3, unavailable: 2 });
    expect(u.resolveFenceposts('25%', '25%', 1)).toEqual({ surge: 1, unavailable: 0 });
    expect(u.resolveFenceposts(0, '10%', 3)).toEqual({ surge: 0, unavailable: 1 });
    expect(u.maxUnavailable(d(2, 0, 5))).toBe(2);
  });

  it('scales the new ReplicaSet up to replicas + maxSurge in total', () => {
    const dep = d(4, 1, 1);
    const old = rs('old', 4);
    const fresh = rs('new', 0, 0);
    expect(u.newRSNewReplicas(dep, [old, fresh], fresh)).toBe(1);
    expect(u.newRSNewReplicas(dep, [rs('old', 3), rs('new', 2, 0)], rs('new', 2, 0))).toBe(2);
    expect(u.newRSNewReplicas(d(4, '100%', 0), [old, fresh], fresh)).toBe(4);
  });

  it('scales old ReplicaSets down only as far as availability allows, unhealthy replicas first', () => {
    const dep = d(4, 1, 1);
    const old = rs('old', 4);
    const fresh = rs('new', 1, 0);
    // total 5, minAvailable 3, one new pod unavailable: one old pod may go.
    expect(u.maxScaledDown(dep, [old, fresh], fresh)).toBe(1);
    expect(u.rollingScaleDowns(dep, [old, fresh], [old])).toEqual(new Map([['old', 3]]));
    // An old ReplicaSet with unavailable pods loses those first, oldest first.
    const sick = rs('sick', 3, 1, '2026-01-01T00:00:00Z');
    const older = rs('older', 2, 0, '2025-12-01T00:00:00Z');
    expect(u.unhealthyScaleDowns([sick, older], 3)).toEqual(new Map([['older', 0], ['sick', 2]]));
    // maxUnavailable 0: nothing goes while the new pods are not available.
    const strict = d(3, 1, 0);
    expect(u.maxScaledDown(strict, [rs('old', 3), rs('new', 1, 0)], rs('new', 1, 0))).toBe(0);
    expect(u.maxScaledDown(strict, [rs('old', 3), rs('new', 1, 1)], rs('new', 1, 1))).toBe(1);
  });

  it('spreads a change of replicas mid-rollout over the active ReplicaSets in proportion to the ceiling they were sized for', () => {
    const sized = (r: u.RS, max: number): u.RS => ({ ...r, metadata: { ...r.metadata, annotations: { [u.MAX_REPLICAS]: String(max) } } });
    // 10 replicas, maxSurge 3: old 8 and new 5 (ceiling 13); scaled to 20 (ceiling 23): 8·23/13 = 14.2 → 14, 5·23/13 = 8.8 → 9
    expect(u.proportionalScale(d(20, 3, 2), [sized(rs('old', 8), 13), sized(rs('new', 5, 0, '2026-02-01T00:00:00Z'), 13)])).toEqual(new Map([['old', 14], ['new', 9]]));
    const dep = d(8, 2, 0);
    expect(u.proportionalScale(dep, [sized(rs('old', 4), 6), sized(rs('new', 2, 0, '2026-02-01T00:00:00Z'), 6)])).toEqual(new Map([['old', 7], ['new', 3]]));
    const down = d(2, 0, 1);
    const out = u.proportionalScale(down, [rs('old', 4), rs('new', 2, 0, '2026-02-01T00:00:00Z')]);
    expect([...out.values()].reduce((a, b) => a + b, 0)).toBe(2);
    expect([...out.values()].every((n) => n >= 0)).toBe(true);
  });
});

describe('deployment status', () => {
  it('is complete only when every replica is updated and available at the observed generation', () => {
    const dep = d(2, 1, 0);
    const fresh = rs('new', 2, 2);
    const s = u.calculateStatus(dep, [fresh], fresh, '2026-01-01T00:00:00Z');
    expect(s).toMatchObject({ replicas: 2, updatedReplicas: 2, availableReplicas: 2, unavailableReplicas: 0, observedGeneration: 1 });
    expect(u.conditionOf(s, u.AVAILABLE)).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(u.deploymentComplete(dep, s)).toBe(true);
    const half = u.calculateStatus(dep, [rs('old', 1), rs('new', 1, 0)], rs('new', 1, 0), '2026-01-01T00:00:00Z');
    expect(u.deploymentComplete(dep, half)).toBe(false);
    expect(u.conditionOf(half, u.AVAILABLE)).toMatchObject({ status: 'False' });
  });

  it('times out once the Progressing condition is older than the deadline', () => {
    const dep = { ...d(1, 1, 0), spec: { ...d(1, 1, 0).spec, progressDeadlineSeconds: 10 } };
    const s = { conditions: [u.newCondition(u.PROGRESSING, 'True', u.RS_UPDATED, '', '2026-01-01T00:00:00Z')] };
    expect(u.deploymentTimedOut(dep, s, Date.parse('2026-01-01T00:00:05Z'))).toBe(false);
    expect(u.deploymentTimedOut(dep, s, Date.parse('2026-01-01T00:00:11Z'))).toBe(true);
  });
});

describe('revisionHistory', () => {
  it('appends the revision a rollback replaced, dropping the oldest past 2000 characters', () => {
    expect(u.revisionHistory(undefined, '1')).toBe('1');
    expect(u.revisionHistory('1,3', '5')).toBe('1,3,5');
    const long = Array.from({ length: 400 }, (_, i) => String(1000 + i)).join(',');
    const next = u.revisionHistory(long, '9999');
    expect(next.length).toBeLessThanOrEqual(2000);
    expect(next.endsWith(',9999')).toBe(true);
    expect(next.startsWith('1001,')).toBe(true);
  });
});
