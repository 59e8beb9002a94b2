// The DaemonSet controller's arithmetic: node eligibility (nodeSelector, node affinity, taints
// and the tolerations daemon pods get), the pod for a node, what a node's pods need, rolling
// update steps within maxUnavailable and maxSurge, and the status.
import { describe, expect, it } from 'vitest';
import { daemonSetStatus, daemonTolerations, FailedPodBackoff, newDaemonPod, nodeShouldRunDaemonPod, podsShouldBeOnNode, rollingLimits, rollingUpdateStep, targetNode, type DS, type N, type P, type Placement } from './daemonset-util.js';

const ds = (podSpec: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): DS =>
  ({
    metadata: { name: 'agent', namespace: 'd', uid: 'ds-uid', generation: 3, annotations: { 'deprecated.daemonset.template.generation': '2' } },
    spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...podSpec } }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, ...spec },
  }) as DS;

const node = (name: string, labels: Record<string, string> = {}, spec: Record<string, unknown> = {}): N => ({ metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec }) as N;

let seq = 0;
const pod = (nodeName: string, hash: string, state: 'ready' | 'pending' | 'failed' | 'deleting' = 'ready'): P =>
  ({
    metadata: { name: `agent-${++seq}`, uid: `u${seq}`, creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(), labels: { app: 'agent', 'controller-revision-hash': hash }, ...(state === 'deleting' ? { deletionTimestamp: '2026-01-02T00:00:00Z' } : {}) },
    spec: { nodeName },
    status: state === 'ready' || state === 'deleting' ? { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } : { phase: state === 'failed' ? 'Failed' : 'Pending' },
  }) as P;

const run = (p: Placement) => [p.shouldRun, p.shouldContinueRunning];
const ready = (p: P) => p.status?.phase === 'Running';

describe('daemon pods', () => {
  it('tolerate not-ready and unreachable without tolerationSeconds, pressure and unschedulable, and network-unavailable on the host network', () => {
    const ts = daemonTolerations({ tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }, { key: 'x', operator: 'Exists' }] });
    expect(ts).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
      { key: 'x', operator: 'Exists' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    expect(daemonTolerations({ hostNetwork: true }).map((t) => t.key)).toContain('node.kubernetes.io/network-unavailable');
  });

  it('are pinned to their node by a required matchFields affinity (replacing required terms, keeping preferred ones)', () => {
    const preferred = [{ weight: 1, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } }];
    const d = ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'Exists' }] }] }, preferredDuringSchedulingIgnoredDuringExecution: preferred } } });
    const p = newDaemonPod(d, 'n1', 'h1');
    expect(p.spec?.affinity?.nodeAffinity).toEqual({ requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] }, preferredDuringSchedulingIgnoredDuringExecution: preferred });
    expect(p.spec?.nodeName).toBeUndefined();
    // pod-template-generation is the template generation (metadata.generation also counts strategy changes); none without it.
    expect(p.metadata).toMatchObject({ generateName: 'agent-', labels: { app: 'agent', 'controller-revision-hash': 'h1', 'pod-template-generation': '2' } });
    expect(newDaemonPod({ ...d, metadata: { ...d.metadata, annotations: {} } }, 'n1', 'h1').metadata?.labels).toEqual({ app: 'agent', 'controller-revision-hash': 'h1' });
    expect(targetNode(p)).toBe('n1');
    expect(targetNode({ ...p, spec: { ...p.spec, nodeName: 'n2' } } as P)).toBe('n2');
    // The template is untouched.
    expect(d.spec?.template?.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchExpressions).toBeDefined();
  });
});

describe('nodeShouldRunDaemonPod', () => {
  it('follows nodeSelector and required node affinity', () => {
    expect(run(nodeShouldRunDaemonPod(node('n1'), ds()))).toEqual([true, true]);
    expect(run(nodeShouldRunDaemonPod(node('n1'), ds({ nodeSelector: { disk: 'ssd' } })))).toEqual([false, false]);
    expect(run(nodeShouldRunDaemonPod(node('n1', { disk: 'ssd' }), ds({ nodeSelector: { disk: 'ssd' } })))).toEqual([true, true]);
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n2'] }] }] } } };
    expect(run(nodeShouldRunDaemonPod(node('n1'), ds({ affinity })))).toEqual([true, true]);
    expect(run(nodeShouldRunDaemonPod(node('n2'), ds({ affinity })))).toEqual([false, false]);
  });

  it('skips untolerated NoSchedule taints (keeping a pod already there) and leaves untolerated NoExecute nodes', () => {
    const noSchedule = node('n1', {}, { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] });
    expect(run(nodeShouldRunDaemonPod(noSchedule, ds()))).toEqual([false, true]);
    expect(run(nodeShouldRunDaemonPod(noSchedule, ds({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] })))).toEqual([true, true]);
    expect(run(nodeShouldRunDaemonPod(node('n1', {}, { taints: [{ key: 'evict', effect: 'NoExecute' }] }), ds()))).toEqual([false, false]);
    expect(run(nodeShouldRunDaemonPod(node('n1', {}, { taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] }), ds()))).toEqual([true, true]);
    // What daemon pods tolerate anyway: a cordoned, not-ready or memory-pressured node.
    const tolerated = node('n1', {}, { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }, { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }] });
    expect(run(nodeShouldRunDaemonPod(tolerated, ds()))).toEqual([true, true]);
    expect(run(nodeShouldRunDaemonPod(node('n1', {}, { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] }), ds()))).toEqual([false, true]);
    expect(run(nodeShouldRunDaemonPod(node('n1', {}, { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] }), ds({ hostNetwork: true })))).toEqual([true, true]);
  });
});

describe('podsShouldBeOnNode', () => {
  const yes = { shouldRun: true, shouldContinueRunning: true };
  it('creates a missing pod, replaces a failed one, keeps the oldest of several, removes pods from nodes that stop qualifying', () => {
    expect(podsShouldBeOnNode(yes, [], 'h', false)).toEqual({ create: true, delete: [] });
    // A failed pod goes; its replacement is made once it is being deleted (with surge, at once).
    const failed = pod('n1', 'h', 'failed');
    expect(podsShouldBeOnNode(yes, [failed], 'h', false)).toEqual({ create: false, delete: [failed] });
    expect(podsShouldBeOnNode(yes, [failed], 'h', true)).toEqual({ create: true, delete: [failed] });
    const [a, b] = [pod('n1', 'h'), pod('n1', 'h')];
    expect(podsShouldBeOnNode(yes, [b, a], 'h', false)).toEqual({ create: false, delete: [b] });
    expect(podsShouldBeOnNode({ shouldRun: false, shouldContinueRunning: false }, [a], 'h', false)).toEqual({ create: false, delete: [a] });
    expect(podsShouldBeOnNode({ shouldRun: false, shouldContinueRunning: true }, [a], 'h', false)).toEqual({ create: false, delete: [] });
    // A pod still terminating holds the node (its ports, its volumes): the new pod waits for it
    // to go, unless surge allows two; one that has ended and is being deleted is gone already.
    const terminating = pod('n1', 'old', 'deleting');
    expect(podsShouldBeOnNode(yes, [terminating], 'h', false)).toEqual({ create: false, delete: [] });
    expect(podsShouldBeOnNode(yes, [terminating], 'h', true)).toEqual({ create: true, delete: [] });
    expect(podsShouldBeOnNode(yes, [{ ...pod('n1', 'h', 'failed'), metadata: { ...pod('n1', 'h').metadata, deletionTimestamp: '2026-01-02T00:00:00Z' } } as P], 'h', false)).toEqual({ create: true, delete: [] });
    // With surge an old and a new pod may share the node.
    const [old, fresh] = [pod('n1', 'old'), pod('n1', 'h')];
    expect(podsShouldBeOnNode(yes, [old, fresh], 'h', true)).toEqual({ create: false, delete: [] });
  });
});

describe('rolling update', () => {
  const nodes = (pods: P[]) => {
    const m = new Map<string, P[]>();
    for (const p of pods) m.set(p.spec!.nodeName!, [...(m.get(p.spec!.nodeName!) ?? []), p]);
    return m;
  };
  const names = (ps: P[]) => ps.map((p) => p.spec!.nodeName).sort();

  it('scales maxUnavailable and maxSurge to the desired nodes, percentages rounded up', () => {
    expect(rollingLimits(ds(), 10)).toEqual({ maxUnavailable: 1, maxSurge: 0 });
    expect(rollingLimits(ds({}, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 0 } } }), 10)).toEqual({ maxUnavailable: 3, maxSurge: 0 });
    expect(rollingLimits(ds({}, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '50%' } } }), 3)).toEqual({ maxUnavailable: 0, maxSurge: 2 });
  });

  it('replaces one available old pod at a time, unavailable old pods at once, and waits for the new pod', () => {
    const limits = { maxUnavailable: 1, maxSurge: 0 };
    expect(names(rollingUpdateStep(nodes([pod('n1', 'old'), pod('n2', 'old'), pod('n3', 'old')]), 'new', limits, ready).delete)).toEqual(['n1']);
    // n1's new pod is not ready yet: nothing more goes.
    expect(rollingUpdateStep(nodes([pod('n1', 'new', 'pending'), pod('n2', 'old'), pod('n3', 'old')]), 'new', limits, ready).delete).toEqual([]);
    expect(names(rollingUpdateStep(nodes([pod('n1', 'new'), pod('n2', 'old'), pod('n3', 'old')]), 'new', limits, ready).delete)).toEqual(['n2']);
    // An old pod that is not available goes without waiting; it costs no availability.
    expect(names(rollingUpdateStep(nodes([pod('n1', 'new', 'pending'), pod('n2', 'old', 'pending'), pod('n3', 'old')]), 'new', limits, ready).delete)).toEqual(['n2']);
    expect(names(rollingUpdateStep(nodes([pod('n1', 'old'), pod('n2', 'old'), pod('n3', 'old')]), 'new', { maxUnavailable: 2, maxSurge: 0 }, ready).delete)).toEqual(['n1', 'n2']);
  });

  it('with maxSurge starts new pods beside old ones and removes an old pod once its new one is available', () => {
    const limits = { maxUnavailable: 0, maxSurge: 1 };
    const first = rollingUpdateStep(nodes([pod('n1', 'old'), pod('n2', 'old')]), 'new', limits, ready);
    expect(first).toEqual({ delete: [], createOn: ['n1'] });
    expect(rollingUpdateStep(nodes([pod('n1', 'old'), pod('n1', 'new', 'pending'), pod('n2', 'old')]), 'new', limits, ready)).toEqual({ delete: [], createOn: [] });
    const oldN1 = pod('n1', 'old');
    expect(rollingUpdateStep(nodes([oldN1, pod('n1', 'new'), pod('n2', 'old')]), 'new', limits, ready)).toEqual({ delete: [oldN1], createOn: [] });
  });
});

describe('daemonSetStatus', () => {
  it('counts desired, current, misscheduled, ready, available and updated nodes', () => {
    const placements = new Map<string, Placement>([
      ['n1', { shouldRun: true, shouldContinueRunning: true }],
      ['n2', { shouldRun: true, shouldContinueRunning: true }],
      ['n3', { shouldRun: true, shouldContinueRunning: true }],
      ['n4', { shouldRun: false, shouldContinueRunning: false }],
    ]);
    const nodeToPods = new Map([
      ['n1', [pod('n1', 'new')]],
      ['n2', [pod('n2', 'old', 'pending')]],
      ['n4', [pod('n4', 'new')]],
    ]);
    expect(daemonSetStatus(ds(), placements, nodeToPods, 'new', Date.now())).toEqual({
      desiredNumberScheduled: 3,
      currentNumberScheduled: 2,
      numberMisscheduled: 1,
      numberReady: 1,
      numberAvailable: 1,
      numberUnavailable: 2,
      updatedNumberScheduled: 1,
      observedGeneration: 3,
    });
  });

  it('counts a pod still terminating, and of several pods the oldest bound one', () => {
    const run = { shouldRun: true, shouldContinueRunning: true };
    const placements = new Map<string, Placement>([
      ['n1', run],
      ['n2', run],
      ['n3', { shouldRun: false, shouldContinueRunning: false }],
    ]);
    // n1: the old pod shuts down during a rolling update, its replacement not made yet; n2 (surge):
    // the old pod is the oldest, the new one ready beside it; n3: a misscheduled pod terminating.
    const n2old = pod('n2', 'old', 'pending');
    const nodeToPods = new Map([
      ['n1', [pod('n1', 'old', 'deleting')]],
      ['n2', [pod('n2', 'new'), n2old].reverse()],
      ['n3', [pod('n3', 'new', 'deleting')]],
    ]);
    n2old.metadata!.creationTimestamp = '2025-12-31T00:00:00Z';
    expect(daemonSetStatus(ds(), placements, nodeToPods, 'new', Date.now())).toEqual({
      desiredNumberScheduled: 2,
      currentNumberScheduled: 2,
      numberMisscheduled: 1,
      numberReady: 1,
      numberAvailable: 1,
      numberUnavailable: 1,
      observedGeneration: 3,
    });
  });
});

describe('FailedPodBackoff', () => {
  it('backs off 1 s after a failed pod is deleted, doubling to 15 min, per DaemonSet generation and node', () => {
    const b = new FailedPodBackoff();
    const key = FailedPodBackoff.key({ ...ds(), status: { observedGeneration: 3 } } as DS, 'n1');
    expect(key).toBe('ds-uid/3/n1');
    expect(b.remaining(key, 0)).toBe(0);
    b.next(key, 0);
    expect([b.remaining(key, 0), b.remaining(key, 999), b.remaining(key, 1000)]).toEqual([1000, 1, 0]);
    b.next(key, 1000);
    expect(b.remaining(key, 1000)).toBe(2000);
    let t = 1000;
    for (let i = 0; i < 20; i++) b.next(key, (t += 1000));
    expect(b.remaining(key, t)).toBe(15 * 60_000);
    // Another node, or the next generation, starts afresh; a long quiet time forgets it.
    expect(b.remaining(FailedPodBackoff.key(ds(), 'n2'), t)).toBe(0);
    b.next(key, t + 31 * 60_000);
    expect(b.remaining(key, t + 31 * 60_000)).toBe(1000);
  });
});
