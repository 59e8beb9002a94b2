// The StatefulSet controller's plan, step by step over simulated pods: ordinal arithmetic, the
// order of creates and deletes under OrderedReady and Parallel, and rolling updates that honour
// the partition; the status with its revisions.
import { describe, expect, it } from 'vitest';
import { identityLabels, isHealthy, newStatefulSetPod, ordinalOf, planSync, revisionForOrdinal, statefulSetStatus, type P, type STS } from './statefulset-util.js';

const set = (replicas: number, spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}): STS =>
  ({
    metadata: { name: 'web', namespace: 'd', uid: 'sts-uid', generation: 2 },
    spec: { replicas, serviceName: 'web', podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } }, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }, ...spec },
    status,
  }) as STS;

const pod = (ordinal: number, revision: string, state: 'ready' | 'pending' | 'deleting' | 'failed' = 'ready'): P =>
  ({
    metadata: { name: `web-${ordinal}`, namespace: 'd', uid: `u${ordinal}-${revision}`, labels: { app: 'web', 'controller-revision-hash': revision }, ...(state === 'deleting' ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    status: state === 'ready' || state === 'deleting' ? { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } : { phase: state === 'failed' ? 'Failed' : 'Pending' },
  }) as P;

const rev = { current: 'web-old', update: 'web-new' };
const healthy = (s: STS) => isHealthy(s, Date.now());
const summary = (plan: ReturnType<typeof planSync>) => ({ create: plan.create.map((c) => `${c.ordinal}@${c.revision}`), delete: plan.delete.map((p) => p.metadata!.name) });

describe('ordinals and pods', () => {
  it('parses <set>-<n> and nothing else', () => {
    expect(ordinalOf('web', 'web-0')).toBe(0);
    expect(ordinalOf('web', 'web-12')).toBe(12);
    for (const n of ['web-', 'web-01', 'web-x', 'webx-1', 'web-1-2', 'other-1', undefined]) expect(ordinalOf('web', n)).toBeUndefined();
    expect(ordinalOf('web-1', 'web-1-2')).toBe(2);
  });

  it('makes pod <set>-<n> with hostname, subdomain, identity labels and the revision', () => {
    const s = set(1);
    const p = newStatefulSetPod(s, s.spec!.template!, 3, 'web-abc');
    expect(p.metadata).toMatchObject({ name: 'web-3', namespace: 'd', labels: { app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-3', 'apps.kubernetes.io/pod-index': '3', 'controller-revision-hash': 'web-abc' } });
    expect(p.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'StatefulSet', name: 'web', uid: 'sts-uid', controller: true });
    expect(p.spec).toMatchObject({ hostname: 'web-3', subdomain: 'web' });
  });

  it('gives ordinals below the partition the current revision, the others the update', () => {
    const s = set(4, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } });
    expect([0, 1, 2, 3].map((o) => revisionForOrdinal(s, o, rev))).toEqual(['web-old', 'web-old', 'web-new', 'web-new']);
    const started = set(4, { ordinals: { start: 5 }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } });
    expect([5, 6, 7, 8].map((o) => revisionForOrdinal(started, o, rev))).toEqual(['web-old', 'web-old', 'web-new', 'web-new']);
    expect(revisionForOrdinal(set(2, { updateStrategy: { type: 'OnDelete' } }), 0, rev)).toBe('web-new');
  });
});

describe('planSync', () => {
  it('OrderedReady: creates the lowest missing ordinal and waits until it is Running and Ready', () => {
    const s = set(3);
    expect(summary(planSync(s, [], rev, healthy(s)))).toEqual({ create: ['0@web-new'], delete: [] });
    expect(summary(planSync(s, [pod(0, 'web-new', 'pending')], rev, healthy(s)))).toEqual({ create: [], delete: [] });
    expect(summary(planSync(s, [pod(0, 'web-new')], rev, healthy(s)))).toEqual({ create: ['1@web-new'], delete: [] });
    // A failed pod is deleted (and made again next time); the set waits for it.
    expect(summary(planSync(s, [pod(0, 'web-new', 'failed'), pod(1, 'web-new')], rev, healthy(s)))).toEqual({ create: [], delete: ['web-0'] });
    // A missing pod below a ready one is made again first.
    expect(summary(planSync(s, [pod(1, 'web-new'), pod(2, 'web-new')], rev, healthy(s)))).toEqual({ create: ['0@web-new'], delete: [] });
  });

  it('puts back a pod-name label a user removed or changed, once the pod is reached (identityMatches, updateIdentity)', () => {
    const own = (o: number, state: Parameters<typeof pod>[2] = 'ready', podName = `web-${o}`) => {
      const p = pod(o, 'web-new', state);
      p.metadata!.labels = { ...p.metadata!.labels, 'statefulset.kubernetes.io/pod-name': podName, 'apps.kubernetes.io/pod-index': String(o) };
      return p;
    };
    const s = set(3);
    const wrong = own(1, 'ready', 'other');
    const bare = own(2);
    delete bare.metadata!.labels!['statefulset.kubernetes.io/pod-name'];
    const plan = planSync(s, [own(0), wrong, bare], rev, healthy(s));
    expect(plan.update.map((p) => p.metadata!.name)).toEqual(['web-1', 'web-2']);
    expect(identityLabels(s, wrong)).toEqual({ 'statefulset.kubernetes.io/pod-name': 'web-1', 'apps.kubernetes.io/pod-index': '1' });
    expect(planSync(s, [own(0), own(1), own(2)], rev, healthy(s)).update).toEqual([]);
    // OrderedReady stops at the first pod that is not ready: the ones after it wait.
    expect(planSync(s, [own(0, 'pending'), wrong, bare], rev, healthy(s)).update).toEqual([]);
    const parallel = set(3, { podManagementPolicy: 'Parallel' });
    expect(planSync(parallel, [own(0, 'pending'), wrong, bare], rev, healthy(parallel)).update.map((p) => p.metadata!.name)).toEqual(['web-1', 'web-2']);
  });

  it('Parallel: creates every missing ordinal and removes every condemned pod at once', () => {
    const s = set(3, { podManagementPolicy: 'Parallel' });
    expect(summary(planSync(s, [pod(1, 'web-new', 'pending')], rev, healthy(s)))).toEqual({ create: ['0@web-new', '2@web-new'], delete: [] });
    const down = set(1, { podManagementPolicy: 'Parallel' });
    expect(summary(planSync(down, [0, 1, 2].map((o) => pod(o, 'web-new')), rev, healthy(down)))).toEqual({ create: [], delete: ['web-2', 'web-1'] });
  });

  it('scales down from the highest ordinal, one at a time, waiting for the one terminating', () => {
    const s = set(1);
    expect(summary(planSync(s, [0, 1, 2].map((o) => pod(o, 'web-new')), rev, healthy(s)))).toEqual({ create: [], delete: ['web-2'] });
    expect(summary(planSync(s, [pod(0, 'web-new'), pod(1, 'web-new'), pod(2, 'web-new', 'deleting')], rev, healthy(s)))).toEqual({ create: [], delete: [] });
    expect(summary(planSync(s, [pod(0, 'web-new'), pod(1, 'web-new')], rev, healthy(s)))).toEqual({ create: [], delete: ['web-1'] });
    // Not while a pod that stays is unhealthy.
    expect(summary(planSync(s, [pod(0, 'web-new', 'pending'), pod(1, 'web-new')], rev, healthy(s)))).toEqual({ create: [], delete: [] });
  });

  it('rolls an update from the highest ordinal down to the partition, one healthy pod at a time', () => {
    const s = set(4, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }, { currentRevision: 'web-old' });
    let pods = [0, 1, 2, 3].map((o) => pod(o, 'web-old'));
    const deleted: string[] = [];
    for (let step = 0; step < 20; step++) {
      const plan = planSync(s, pods, rev, healthy(s));
      // The fake kubelet: pending pods become ready, deleted pods go, created pods appear pending.
      pods = pods.map((p) => (p.status?.phase === 'Pending' ? pod(ordinalOf('web', p.metadata!.name)!, p.metadata!.labels!['controller-revision-hash']!) : p));
      for (const d of plan.delete) {
        deleted.push(d.metadata!.name!);
        pods = pods.filter((p) => p !== d);
      }
      for (const c of plan.create) pods.push(pod(c.ordinal, c.revision, 'pending'));
      expect(pods.filter((p) => p.status?.phase !== 'Running').length, `step ${step}`).toBeLessThanOrEqual(1);
    }
    expect(deleted).toEqual(['web-3', 'web-2', 'web-1']);
    expect(pods.map((p) => `${p.metadata!.name}@${p.metadata!.labels!['controller-revision-hash']}`).sort()).toEqual(['web-0@web-old', 'web-1@web-new', 'web-2@web-new', 'web-3@web-new']);
    expect(statefulSetStatus(s, pods, rev, Date.now())).toMatchObject({ replicas: 4, readyReplicas: 4, currentReplicas: 1, updatedReplicas: 3, currentRevision: 'web-old', updateRevision: 'web-new' });
  });

  it('OnDelete never deletes for an update', () => {
    const s = set(2, { updateStrategy: { type: 'OnDelete' } });
    expect(summary(planSync(s, [pod(0, 'web-old'), pod(1, 'web-old')], rev, healthy(s)))).toEqual({ create: [], delete: [] });
  });
});

describe('statefulSetStatus', () => {
  it('counts ready, current and updated pods and completes a rolling update when all are updated and ready', () => {
    const s = set(2);
    expect(statefulSetStatus(s, [pod(0, 'web-new'), pod(1, 'web-new')], rev, Date.now())).toEqual({
      observedGeneration: 2,
      replicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      currentReplicas: 2,
      updatedReplicas: 2,
      currentRevision: 'web-new',
      updateRevision: 'web-new',
      collisionCount: 0,
    });
    expect(statefulSetStatus(s, [pod(0, 'web-old'), pod(1, 'web-new', 'pending')], rev, Date.now())).toMatchObject({ replicas: 2, readyReplicas: 1, currentReplicas: 1, updatedReplicas: 1, currentRevision: 'web-old' });
    // Terminating pods count as replicas but at no revision.
    expect(statefulSetStatus(s, [pod(0, 'web-new'), pod(1, 'web-old', 'deleting')], rev, Date.now())).toMatchObject({ replicas: 2, currentReplicas: 0, updatedReplicas: 1 });
  });
});
