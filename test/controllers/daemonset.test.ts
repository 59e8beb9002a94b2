// The DaemonSet controller against a real apiserver+etcd, controller manager and scheduler, with
// Node objects created through the API and a fake kubelet (pods marked Running and Ready
// through the status subresource, graceful deletes confirmed): one pod per node, bound by the
// scheduler through the matchFields node affinity; a tainted node skipped until tolerated; nodes
// added and deleted; a template change rolled out one node at a time; ControllerRevisions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { ControllerRevisions, DaemonSets, Events, Nodes, Pods } from '../../pkg/client/rest-client.js';
import { Scheduler } from '../../pkg/scheduler/scheduler.js';
import { eventually, node, type TestControlPlane } from '../helpers/control-plane.js';
import { daemonSet, fakeKubelet, startWithControllers } from '../helpers/workloads.js';

let cp: TestControlPlane;
let env: Awaited<ReturnType<typeof startWithControllers>> | undefined;
let sched: Scheduler | undefined;
let kubelet: { stop(): Promise<void> } | undefined;
/** Pods the fake kubelet leaves not ready. */
let holdBack: (p: KubeObject) => boolean = () => false;

beforeAll(async () => {
  // (a pod bound to a deleted node is PodGC's to remove: it runs every second here)
  env = await startWithControllers('rest', { nodeMonitorGracePeriodMs: 600_000, podGCPeriodMs: 1000, podGCQuarantineMs: 1000 });
  cp = env.cp;
  sched = new Scheduler(cp.admin, { leaderElect: false, queue: { initialBackoffMs: 100, maxBackoffMs: 500, unschedulableFlushMs: 1000 } });
  await sched.start();
  kubelet = fakeKubelet(cp.admin, (p) => !holdBack(p));
  for (const n of ['n1', 'n2', 'n3']) await cp.admin.create(Nodes, undefined, node(n));
}, 60_000);
afterAll(async () => {
  await kubelet?.stop();
  await sched?.stop();
  await env?.stop();
});

type Pod = KubeObject & { spec: { nodeName?: string; tolerations?: unknown[]; affinity?: any } };
const livePods = async (selector: string) => (await cp.admin.list(Pods, 'default', { labelSelector: selector })).items.filter((p) => !p.metadata?.deletionTimestamp) as Pod[];
const status = async (name: string) => (await cp.admin.get(DaemonSets, 'default', name)).status as Record<string, number>;
const nodesOf = (pods: Pod[]) => pods.map((p) => p.spec.nodeName ?? '').sort();

/** Waits until the DaemonSet's bound pods sit exactly on `nodes`, one each. */
async function podsOn(selector: string, nodes: string[], what: string): Promise<Pod[]> {
  return eventually(
    async () => {
      const pods = await livePods(selector);
      return JSON.stringify(nodesOf(pods)) === JSON.stringify([...nodes].sort()) ? pods : undefined;
    },
    { timeoutMs: 20_000, what },
  );
}

describe('DaemonSet controller', () => {
  it('runs one pod on every node, bound by the scheduler via matchFields, with the daemon tolerations', async () => {
    const ds = await cp.admin.create(DaemonSets, 'default', daemonSet('agent'));
    const pods = await podsOn('app=agent', ['n1', 'n2', 'n3'], 'a pod on each node');
    for (const p of pods) {
      expect(p.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: ds.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
      expect(p.metadata?.name).toMatch(/^agent-/);
      expect(p.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual({ nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [p.spec.nodeName] }] }] });
      expect(p.spec.tolerations).toEqual(
        expect.arrayContaining([
          { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
          { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
          { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
        ]),
      );
      expect(p.metadata?.labels?.['controller-revision-hash']).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    }
    const st = await eventually(async () => {
      const s = await status('agent');
      return s.numberAvailable === 3 ? s : undefined;
    });
    expect(st).toMatchObject({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3, numberAvailable: 3, numberMisscheduled: 0, observedGeneration: 1 });
    const revs = (await cp.admin.list(ControllerRevisions, 'default', { labelSelector: 'app=agent' })).items as (KubeObject & { revision: number; data: { spec: { template: { metadata: unknown } } } })[];
    expect(revs.map((r) => [r.metadata?.name, r.revision])).toEqual([[`agent-${pods[0]!.metadata?.labels?.['controller-revision-hash']}`, 1]]);
    // (the revision holds the template as 1.32's getPatch encodes it: its metadata with creationTimestamp: null)
    expect(revs[0]!.data.spec.template.metadata).toEqual({ creationTimestamp: null, labels: { app: 'agent' } });
  });

  it('follows node additions and deletions, and cordoned nodes keep their pod', async () => {
    await cp.admin.create(Nodes, undefined, node('n4'));
    const onN4 = (await podsOn('app=agent', ['n1', 'n2', 'n3', 'n4'], 'a pod on the new node')).find((p) => p.spec?.nodeName === 'n4')!;
    await cp.admin.patch(Nodes, undefined, 'n2', { spec: { unschedulable: true } });
    await cp.admin.delete(Nodes, undefined, 'n4');
    await podsOn('app=agent', ['n1', 'n2', 'n3'], 'the deleted node losing its pod');
    // PodGC removed it (getUnscheduledPodsWithoutNode leaves bound pods alone): no DaemonSet delete.
    const deletes = ((await cp.admin.list(Events, 'default')).items as { reason?: string; message?: string }[]).filter((e) => e.reason === 'SuccessfulDelete' && e.message === `Deleted pod: ${onN4.metadata!.name}`);
    expect(deletes).toEqual([]);
    await eventually(async () => ((await status('agent')).desiredNumberScheduled === 3 ? true : undefined));
    await cp.admin.patch(Nodes, undefined, 'n2', { spec: { unschedulable: null } });
  });

  it('skips a tainted node until the template tolerates the taint, and honours nodeSelector', async () => {
    await cp.admin.patch(Nodes, undefined, 'n3', { spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } });
    await cp.admin.patch(Nodes, undefined, 'n1', { metadata: { labels: { disk: 'ssd' } } });
    await cp.admin.create(DaemonSets, 'default', daemonSet('picky'));
    await cp.admin.create(DaemonSets, 'default', daemonSet('ssd-only', { nodeSelector: { disk: 'ssd' } }));
    await podsOn('app=picky', ['n1', 'n2'], 'no pod on the tainted node');
    await podsOn('app=ssd-only', ['n1'], 'only the ssd node');
    expect(await status('picky')).toMatchObject({ desiredNumberScheduled: 2 });
    // A NoSchedule taint does not evict the pod already there (agent still runs on n3).
    expect(nodesOf(await livePods('app=agent'))).toEqual(['n1', 'n2', 'n3']);
    await cp.admin.patch(DaemonSets, 'default', 'picky', { spec: { template: { spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] } } } });
    await podsOn('app=picky', ['n1', 'n2', 'n3'], 'a pod on the tolerated node');
    // A NoExecute taint removes the pods that do not tolerate it.
    await cp.admin.patch(Nodes, undefined, 'n3', { spec: { taints: [{ key: 'evict', effect: 'NoExecute' }] } });
    await podsOn('app=agent', ['n1', 'n2'], 'pods leave a NoExecute-tainted node');
    await cp.admin.patch(Nodes, undefined, 'n3', { spec: { taints: null } });
    await podsOn('app=agent', ['n1', 'n2', 'n3'], 'back on the untainted node');
    await cp.admin.patch(Nodes, undefined, 'n1', { metadata: { labels: { disk: null } } });
    await podsOn('app=ssd-only', [], 'the pod leaves a node that stops matching');
  });

  it('rolls a template change out one node at a time (maxUnavailable 1)', async () => {
    await eventually(async () => ((await status('agent')).numberAvailable === 3 ? true : undefined), { timeoutMs: 20_000 });
    const before = await livePods('app=agent');
    const oldHash = before[0]!.metadata!.labels!['controller-revision-hash'];
    // New pods stay not ready until released, so the controller must wait after the first.
    holdBack = (p) => p.metadata?.labels?.['controller-revision-hash'] !== oldHash;
    const patched = await cp.admin.patch(DaemonSets, 'default', 'agent', { spec: { template: { metadata: { annotations: { version: '2' } } } } });
    expect(patched.metadata?.generation).toBe(2);
    const first = await eventually(async () => {
      const pods = await livePods('app=agent');
      const fresh = pods.filter((p) => p.metadata!.labels!['controller-revision-hash'] !== oldHash && p.spec.nodeName);
      return fresh.length ? { pods, fresh } : undefined;
    });
    const seenHash = first.fresh[0]!.metadata!.labels!['controller-revision-hash'];
    // While the first new pod is not ready, the two other nodes keep their old pod.
    await new Promise((r) => setTimeout(r, 1500));
    const held = await livePods('app=agent');
    expect(held.filter((p) => p.metadata!.labels!['controller-revision-hash'] === oldHash)).toHaveLength(2);
    expect(held.filter((p) => p.metadata!.labels!['controller-revision-hash'] === seenHash)).toHaveLength(1);
    expect(await status('agent')).toMatchObject({ desiredNumberScheduled: 3, updatedNumberScheduled: 1, numberAvailable: 2 });
    holdBack = () => false;
    let maxMissing = 0;
    await eventually(
      async () => {
        const pods = await livePods('app=agent');
        const ready = pods.filter((p) => ((p.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
        maxMissing = Math.max(maxMissing, 3 - new Set(ready.map((p) => p.spec.nodeName)).size);
        const s = await status('agent');
        return s.updatedNumberScheduled === 3 && s.numberAvailable === 3 && s.observedGeneration === 2 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: 'the rollout to finish' },
    );
    expect(maxMissing).toBeLessThanOrEqual(1);
    const after = await livePods('app=agent');
    expect(after.every((p) => p.metadata!.labels!['controller-revision-hash'] === seenHash)).toBe(true);
    expect(nodesOf(after)).toEqual(['n1', 'n2', 'n3']);
    const revs = (await cp.admin.list(ControllerRevisions, 'default', { labelSelector: 'app=agent' })).items as (KubeObject & { revision: number })[];
    expect(revs.map((r) => r.revision).sort()).toEqual([1, 2]);
  }, 60_000);

  it('keeps every daemon pod across a controller-manager restart', async () => {
    const before = (await livePods('app=agent')).map((p) => p.metadata!.uid).sort();
    expect(before).toHaveLength(3);
    await env!.restartControllers();
    // The new manager syncs every DaemonSet at once; give it time to do harm if it would.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await livePods('app=agent')).map((p) => p.metadata!.uid).sort()).toEqual(before);
    expect(await status('agent')).toMatchObject({ desiredNumberScheduled: 3, numberAvailable: 3 });
  });

  it('OnDelete replaces a pod only when it is deleted', async () => {
    await cp.admin.create(DaemonSets, 'default', daemonSet('manual', {}, { updateStrategy: { type: 'OnDelete' } }));
    const pods = await podsOn('app=manual', ['n1', 'n2', 'n3'], 'manual pods');
    const hash = pods[0]!.metadata!.labels!['controller-revision-hash'];
    await cp.admin.patch(DaemonSets, 'default', 'manual', { spec: { template: { metadata: { annotations: { v: '2' } } } } });
    await eventually(async () => ((await status('manual')).observedGeneration === 2 ? true : undefined));
    expect((await livePods('app=manual')).every((p) => p.metadata!.labels!['controller-revision-hash'] === hash)).toBe(true);
    expect((await status('manual')).updatedNumberScheduled).toBeUndefined(); // (0, left out as Go's omitempty)
    const victim = pods.find((p) => p.spec.nodeName === 'n2')!;
    await cp.admin.delete(Pods, 'default', victim.metadata!.name!);
    const replaced = await eventually(async () => (await livePods('app=manual')).find((p) => p.spec.nodeName === 'n2' && p.metadata!.labels!['controller-revision-hash'] !== hash));
    expect(replaced).toBeDefined();
    await eventually(async () => ((await status('manual')).updatedNumberScheduled === 1 ? true : undefined));
  });
});
