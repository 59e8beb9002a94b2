// The node lifecycle controller against a real apiserver, with a monitor pass too slow to matter
// (60 s): the taint eviction controller acts on the node's and its pods' updates, as 1.32's
// handleNodeUpdate/handlePodUpdate do, and deletes a pod when its tolerationSeconds run out, not
// at the next pass. Then, with a quick pass: a node whose kubelet never posted a Ready condition
// is left untainted for the startup grace period and then gets its conditions Unknown
// (NodeStatusNeverUpdated) and the unreachable taints, as tryUpdateNodeHealth does.
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { Events, Leases, Nodes, Pods } from '../../pkg/client/rest-client.js';
import { NodeLifecycleController } from '../../pkg/controllers/node-lifecycle.js';
import { eventually, node, pod, sleep, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
let controller: NodeLifecycleController | undefined;

const micro = () => new Date().toISOString().replace('Z', '000Z');
const taintsOf = (n: KubeObject) => ((n.spec as { taints?: { key: string; effect: string }[] }).taints ?? []).map((t) => `${t.key}:${t.effect}`);
const deleting = async (name: string) => !!(await cp.admin.get(Pods, 'default', name)).metadata?.deletionTimestamp;
/** A series' value on the controller manager's /metrics (the controller runs in this process). */
const metric = async (series: string) => Number(new RegExp(`^${series.replace(/[{}"\\+.]/g, '\\$&')} (\\S+)$`, 'm').exec(await register.metrics())?.[1] ?? NaN);
const deletions = () => metric('taint_eviction_controller_pod_deletions_total').then((v) => (Number.isNaN(v) ? 0 : v));
const events = async (name: string, reason: string) => (await cp.admin.list(Events, 'default', { fieldSelector: `involvedObject.name=${name},reason=${reason}` })).items.map((e) => (e as { message?: string }).message);

async function onNode(name: string, nodeName: string, tolerations?: unknown[]): Promise<void> {
  const p = pod(name);
  if (tolerations) (p.spec as Record<string, unknown>).tolerations = tolerations;
  await cp.admin.create(Pods, 'default', p);
  await cp.admin.bind('default', name, nodeName);
}

beforeAll(async () => {
  cp = await startControlPlane();
  await cp.admin.create(Nodes, undefined, node('n1'));
  await cp.admin.create(Leases, 'kube-node-lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: micro() } });
});

afterAll(async () => {
  controller?.stop();
  await cp?.stop();
});

describe('taint eviction on updates', () => {
  let deletedBefore = 0;
  beforeAll(async () => {
    deletedBefore = await deletions();
    controller = new NodeLifecycleController(cp.admin, { gracePeriodMs: 40_000, monitorPeriodMs: 60_000 });
    await controller.start();
  });
  afterAll(() => controller?.stop());

  it('kubectl taint nodes n1 maint=now:NoExecute evicts the untolerating pod at once and the one tolerating 2 s after 2 s', async () => {
    await onNode('untolerating', 'n1');
    await onNode('for-a-while', 'n1', [{ key: 'maint', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }]);
    await onNode('always', 'n1', [{ key: 'maint', operator: 'Equal', value: 'now', effect: 'NoExecute' }]);
    await sleep(300);
    await cp.admin.patch(Nodes, undefined, 'n1', { spec: { taints: [{ key: 'maint', value: 'now', effect: 'NoExecute' }] } }, 'merge');
    const taintedAt = Date.now();
    await eventually(() => deleting('untolerating'), { timeoutMs: 3000, what: 'untolerating evicted at once' });
    expect(await deleting('for-a-while')).toBe(false);
    await eventually(() => deleting('for-a-while'), { timeoutMs: 4000, intervalMs: 50, what: 'for-a-while evicted when its 2 s ran out' });
    const after = Date.now() - taintedAt;
    expect(after).toBeGreaterThanOrEqual(1900);
    expect(after).toBeLessThan(3500);
    expect(await deleting('always')).toBe(false);
    expect(await events('untolerating', 'TaintManagerEviction')).toEqual(['Marking for deletion Pod default/untolerating']);
  });

  it('a pod bound to a tainted node goes at once; the taint going first cancels a pending deletion', async () => {
    await onNode('latecomer', 'n1');
    await eventually(() => deleting('latecomer'), { timeoutMs: 3000, what: 'latecomer evicted' });
    await onNode('patient', 'n1', [{ key: 'maint', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }]);
    await sleep(500);
    await cp.admin.patch(Nodes, undefined, 'n1', { spec: { taints: null } }, 'merge');
    await eventually(async () => (await events('patient', 'TaintManagerEviction')).includes('Cancelling deletion of Pod default/patient'), { timeoutMs: 3000, what: 'Cancelling deletion' });
    expect(await deleting('patient')).toBe(false);
    // (untolerating, for-a-while and latecomer: counted as 1.32's TaintEvictionController counts its deletions)
    expect(await deletions()).toBe(deletedBefore + 3);
  });
});

describe('a node that never posted its status', () => {
  beforeAll(async () => {
    controller = new NodeLifecycleController(cp.admin, { gracePeriodMs: 40_000, monitorPeriodMs: 300, startupGracePeriodMs: 3000 });
    await controller.start();
  });

  it('is left as it is for the startup grace period, then goes Unknown (NodeStatusNeverUpdated) with the unreachable taints, and stays so', async () => {
    const fresh = node('fresh') as KubeObject;
    fresh.status = { capacity: { cpu: '1', pods: '110' } };
    fresh.metadata!.labels = { ...fresh.metadata!.labels, 'topology.kubernetes.io/region': 'r1', 'topology.kubernetes.io/zone': 'z-fresh' };
    const zone = 'zone="r1:\0:z-fresh"';
    const created = await cp.admin.create(Nodes, undefined, fresh);
    const createdAt = Date.now();
    await sleep(1500);
    const early = await cp.admin.get(Nodes, undefined, 'fresh');
    // No taint from a Ready condition the kubelet never posted, and no write every pass.
    expect(taintsOf(early)).toEqual([]);
    expect(Number(early.metadata!.resourceVersion) - Number(created.metadata!.resourceVersion)).toBeLessThanOrEqual(1);
    const unknown = await eventually(async () => {
      const n = await cp.admin.get(Nodes, undefined, 'fresh');
      return taintsOf(n).includes('node.kubernetes.io/unreachable:NoExecute') ? n : undefined;
    }, { timeoutMs: 6000, what: 'unreachable taint after the startup grace' });
    // (the grace runs from the Node's creationTimestamp, which has whole seconds: up to 1 s before
    // the create returned, so the lower bound is taken from it, not from createdAt)
    expect(Date.now() - Date.parse(created.metadata!.creationTimestamp as string)).toBeGreaterThanOrEqual(3000);
    expect(Date.now() - createdAt).toBeGreaterThanOrEqual(2000);
    const conditions = (unknown.status as { conditions: { type: string; status: string; reason?: string; message?: string }[] }).conditions;
    expect(conditions.map((c) => [c.type, c.status, c.reason, c.message])).toEqual(
      ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'].map((t) => [t, 'Unknown', 'NodeStatusNeverUpdated', 'Kubelet never posted node status.']),
    );
    await eventually(async () => taintsOf(await cp.admin.get(Nodes, undefined, 'fresh')).includes('node.kubernetes.io/unreachable:NoSchedule'), { timeoutMs: 3000, what: 'unreachable NoSchedule' });
    // Settled: the taints no longer change pass after pass.
    const settled = await cp.admin.get(Nodes, undefined, 'fresh');
    await sleep(1500);
    expect((await cp.admin.get(Nodes, undefined, 'fresh')).metadata!.resourceVersion).toBe(settled.metadata!.resourceVersion);
    // Its zone, as handleDisruption reports it (a node without a Ready condition is not Ready), and
    // the NoExecute tainting counted once as an eviction of that zone (doNoExecuteTaintingPass).
    expect(await metric(`node_collector_zone_size{${zone}}`)).toBe(1);
    expect(await metric(`node_collector_unhealthy_nodes_in_zone{${zone}}`)).toBe(1);
    expect(await metric(`node_collector_zone_health{${zone}}`)).toBe(0);
    expect(await metric(`node_collector_evictions_total{${zone}}`)).toBe(1);
    expect(await metric('node_collector_update_all_nodes_health_duration_seconds_count')).toBeGreaterThan(0);
    // A zone whose last node goes is reported empty and healthy.
    await cp.admin.delete(Nodes, undefined, 'fresh');
    await eventually(async () => (await metric(`node_collector_zone_size{${zone}}`)) === 0, { timeoutMs: 3000, what: 'the zone emptied' });
    expect([await metric(`node_collector_zone_health{${zone}}`), await metric(`node_collector_unhealthy_nodes_in_zone{${zone}}`)]).toEqual([100, 0]);
    // It never was Ready: nothing says it stopped being so.
    expect(await cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=fresh,reason=NodeNotReady' }).then((l) => l.items)).toEqual([]);
  });
});
