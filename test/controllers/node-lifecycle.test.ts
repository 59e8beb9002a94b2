// The controller manager against a real apiserver: pod CIDRs allocated on registration; a node
// that stops renewing its lease goes Ready=Unknown with the unreachable taint, its pods are
// marked not ready and evicted after their toleration; when it returns the taint goes; pods of
// deleted nodes are garbage-collected.
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { Events, Leases, Nodes, Pods, RestClient, StatusError } from '../../pkg/client/rest-client.js';
import { ControllerManager, defaultControllerConfig } from '../../pkg/controllers/manager.js';
import { eventually, node, pod, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
let cm: ControllerManager;
let renewing = true;
let renewTimer: NodeJS.Timeout | undefined;
let n1: RestClient;

const micro = () => new Date().toISOString().replace('Z', '000Z');

async function renew(name = 'n1'): Promise<void> {
  const l = await cp.admin.get(Leases, 'kube-node-lease', name);
  await cp.admin.update(Leases, 'kube-node-lease', name, { ...l, spec: { ...(l.spec as object), renewTime: micro() } });
}
/** n2 renews too while it exists and `n2Renewing` holds: n1 alone down is not every node down. */
let n2Renewing = true;

beforeAll(async () => {
  cp = await startControlPlane();
  n1 = cp.nodeClient('n1');
  await n1.create(Nodes, undefined, node('n1'));
  await n1.create(Leases, 'kube-node-lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 3, renewTime: micro() } });
  const tick = async () => {
    if (renewing) await renew().catch(() => {});
    if (n2Renewing) await renew('n2').catch(() => {});
    renewTimer = setTimeout(() => void tick(), 500);
  };
  void tick();
  cm = new ControllerManager(cp.admin, { ...defaultControllerConfig, nodeMonitorGracePeriodMs: 3000, nodeMonitorPeriodMs: 500, podGCPeriodMs: 1000, podGCQuarantineMs: 2000, leaderElect: true, retryPeriodSec: 1 });
  await cm.start();
});

afterAll(async () => {
  if (renewTimer) clearTimeout(renewTimer);
  renewing = false;
  await cm?.stop();
  await cp?.stop();
});

const readyOf = (n: KubeObject) => ((n.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).find((c) => c.type === 'Ready')?.status;
const taintsOf = (n: KubeObject) => ((n.spec as { taints?: { key: string; effect: string }[] }).taints ?? []).map((t) => `${t.key}:${t.effect}`);

describe('controller manager', () => {
  it('holds the kube-system lease and allocates a podCIDR to each node', async () => {
    const n = await eventually(async () => {
      const got = await cp.admin.get(Nodes, undefined, 'n1');
      return (got.spec as { podCIDR?: string }).podCIDR ? got : undefined;
    });
    expect((n.spec as { podCIDR: string }).podCIDR).toBe('10.244.0.0/24');
    await cp.admin.create(Nodes, undefined, node('n2'));
    await cp.admin.create(Leases, 'kube-node-lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n2' }, spec: { holderIdentity: 'n2', leaseDurationSeconds: 3, renewTime: micro() } });
    const n2 = await eventually(async () => {
      const got = await cp.admin.get(Nodes, undefined, 'n2');
      return (got.spec as { podCIDR?: string }).podCIDR ? got : undefined;
    });
    expect((n2.spec as { podCIDR: string }).podCIDR).toBe('10.244.1.0/24');
    const lease = await cp.admin.get(Leases, 'kube-system', 'kube-controller-manager');
    expect((lease.spec as { holderIdentity?: string }).holderIdentity).toBeTruthy();
  });

  it('the TTL controller annotates each node node.alpha.kubernetes.io/ttl: "0" (a cluster of up to 100 nodes)', async () => {
    for (const name of ['n1', 'n2']) await eventually(async () => (await cp.admin.get(Nodes, undefined, name)).metadata?.annotations?.['node.alpha.kubernetes.io/ttl'] === '0', { timeoutMs: 5000, what: `${name} ttl annotation` });
    // a ttl someone else wrote is put back
    await cp.admin.patch(Nodes, undefined, 'n1', { metadata: { annotations: { 'node.alpha.kubernetes.io/ttl': '30' } } }, 'merge');
    await eventually(async () => (await cp.admin.get(Nodes, undefined, 'n1')).metadata?.annotations?.['node.alpha.kubernetes.io/ttl'] === '0', { timeoutMs: 5000, what: 'ttl annotation put back' });
  });

  it('a node that stops renewing goes Unknown, is tainted, and its pods are evicted after their toleration', async () => {
    const tolerating = pod('tolerant');
    (tolerating.spec as Record<string, unknown>).tolerations = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }];
    await cp.admin.create(Pods, 'default', tolerating);
    await cp.admin.bind('default', 'tolerant', 'n1');
    const forever = pod('forever');
    (forever.spec as Record<string, unknown>).tolerations = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }];
    await cp.admin.create(Pods, 'default', forever);
    await cp.admin.bind('default', 'forever', 'n1');
    await n1.patch(Pods, 'default', 'tolerant', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, 'merge', 'status');

    renewing = false;
    const stoppedAt = Date.now();
    const unknown = await eventually(async () => {
      const n = await cp.admin.get(Nodes, undefined, 'n1');
      return readyOf(n) === 'Unknown' && taintsOf(n).includes('node.kubernetes.io/unreachable:NoExecute') ? n : undefined;
    }, { timeoutMs: 15_000 });
    // Not before the grace period.
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(2500);
    expect(readyOf(unknown)).toBe('Unknown');
    const marked = await eventually(async () => {
      const p = await cp.admin.get(Pods, 'default', 'tolerant');
      return p.metadata?.deletionTimestamp ? p : undefined;
    }, { timeoutMs: 15_000 });
    const conds = (marked.status as { conditions: { type: string; status: string; reason?: string }[] }).conditions;
    expect(conds).toContainEqual(expect.objectContaining({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager' }));
    expect(conds).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'False' }));
    // The node is also tainted NoSchedule (doNoScheduleTaintingPass), and each pod told it is no longer ready.
    expect(taintsOf(unknown)).toContain('node.kubernetes.io/unreachable:NoSchedule');
    const told = await cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=tolerant,reason=NodeNotReady' });
    expect(told.items.map((e) => (e as { message?: string }).message)).toEqual(['Node is not ready']);
    const kept = await cp.admin.get(Pods, 'default', 'forever');
    expect(kept.metadata?.deletionTimestamp).toBeUndefined();
  });

  it('when the node comes back the taint goes', async () => {
    renewing = true;
    await n1.patch(Nodes, undefined, 'n1', { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] } }, 'strategic', 'status');
    await eventually(async () => {
      const n = await cp.admin.get(Nodes, undefined, 'n1');
      return readyOf(n) === 'True' && !taintsOf(n).some((t) => t.startsWith('node.kubernetes.io/unreachable'));
    }, { timeoutMs: 10_000 });
  });

  it('with every node down, nothing is evicted (the disruption mode) until one is Ready again; a cordoned node is tainted unschedulable', async () => {
    await cp.admin.create(Pods, 'default', pod('survivor'));
    await cp.admin.bind('default', 'survivor', 'n1');
    renewing = false;
    n2Renewing = false;
    await eventually(async () => {
      const [a, b] = await Promise.all(['n1', 'n2'].map((n) => cp.admin.get(Nodes, undefined, n)));
      return readyOf(a!) === 'Unknown' && readyOf(b!) === 'Unknown' && taintsOf(a!).includes('node.kubernetes.io/unreachable:NoSchedule');
    }, { timeoutMs: 15_000, what: 'both nodes Unknown' });
    await new Promise((r) => setTimeout(r, 1500));
    for (const n of ['n1', 'n2']) expect(taintsOf(await cp.admin.get(Nodes, undefined, n))).not.toContain('node.kubernetes.io/unreachable:NoExecute');
    expect((await cp.admin.get(Pods, 'default', 'survivor')).metadata?.deletionTimestamp).toBeUndefined();
    n2Renewing = true;
    renewing = true;
    await n1.patch(Nodes, undefined, 'n1', { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] } }, 'strategic', 'status');
    await cp.admin.patch(Nodes, undefined, 'n2', { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] } }, 'strategic', 'status');
    await eventually(async () => !taintsOf(await cp.admin.get(Nodes, undefined, 'n1')).some((t) => t.startsWith('node.kubernetes.io/unreachable')), { timeoutMs: 10_000, what: 'n1 untainted' });
    // kubectl cordon n1: the unschedulable taint comes and goes with spec.unschedulable.
    await cp.admin.patch(Nodes, undefined, 'n1', { spec: { unschedulable: true } }, 'merge');
    await eventually(async () => taintsOf(await cp.admin.get(Nodes, undefined, 'n1')).includes('node.kubernetes.io/unschedulable:NoSchedule'), { timeoutMs: 5000, what: 'unschedulable taint' });
    await cp.admin.patch(Nodes, undefined, 'n1', { spec: { unschedulable: null } }, 'merge');
    await eventually(async () => !taintsOf(await cp.admin.get(Nodes, undefined, 'n1')).includes('node.kubernetes.io/unschedulable:NoSchedule'), { timeoutMs: 5000, what: 'unschedulable taint removed' });
    await cp.admin.delete(Pods, 'default', 'survivor', { gracePeriodSeconds: 0 });
  });

  it('a pressure condition taints the node NoSchedule (TaintNodesByCondition) until it is False again', async () => {
    const hb = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const setPressure = (memory: string, pid: string) =>
      n1.patch(Nodes, undefined, 'n1', { status: { conditions: [{ type: 'MemoryPressure', status: memory, lastHeartbeatTime: hb() }, { type: 'PIDPressure', status: pid, lastHeartbeatTime: hb() }, { type: 'DiskPressure', status: 'False', lastHeartbeatTime: hb() }] } }, 'strategic', 'status');
    await setPressure('True', 'True');
    await eventually(async () => {
      const t = taintsOf(await cp.admin.get(Nodes, undefined, 'n1'));
      return t.includes('node.kubernetes.io/memory-pressure:NoSchedule') && t.includes('node.kubernetes.io/pid-pressure:NoSchedule') && !t.some((x) => x.startsWith('node.kubernetes.io/disk-pressure'));
    }, { timeoutMs: 5000, what: 'pressure taints' });
    await setPressure('False', 'True');
    await eventually(async () => {
      const t = taintsOf(await cp.admin.get(Nodes, undefined, 'n1'));
      return !t.includes('node.kubernetes.io/memory-pressure:NoSchedule') && t.includes('node.kubernetes.io/pid-pressure:NoSchedule');
    }, { timeoutMs: 5000, what: 'memory-pressure taint removed' });
    await setPressure('False', 'False');
    await eventually(async () => !taintsOf(await cp.admin.get(Nodes, undefined, 'n1')).some((x) => x.includes('pressure')), { timeoutMs: 5000, what: 'pressure taints removed' });
  });

  it('a NoExecute taint a user sets on a Ready node evicts the pods that do not tolerate it, the tolerating ones once their seconds run out', async () => {
    const mk = async (name: string, tolerations?: unknown[]) => {
      const p = pod(name);
      if (tolerations) (p.spec as Record<string, unknown>).tolerations = tolerations;
      await cp.admin.create(Pods, 'default', p);
      await cp.admin.bind('default', name, 'n1');
    };
    await mk('untolerating');
    await mk('for-a-while', [{ key: 'maint', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }]);
    await mk('always', [{ key: 'maint', operator: 'Equal', value: 'now', effect: 'NoExecute' }]);
    const n = await cp.admin.get(Nodes, undefined, 'n1');
    expect(readyOf(n)).toBe('True');
    // as kubectl taint nodes n1 maint=now:NoExecute writes it: no timeAdded
    await cp.admin.patch(Nodes, undefined, 'n1', { spec: { taints: [...((n.spec as { taints?: unknown[] }).taints ?? []), { key: 'maint', value: 'now', effect: 'NoExecute' }] } }, 'merge');
    const taintedAt = Date.now();
    const deleting = async (name: string) => !!(await cp.admin.get(Pods, 'default', name)).metadata?.deletionTimestamp;
    await eventually(() => deleting('untolerating'), { timeoutMs: 5000, what: 'untolerating evicted' });
    expect(await deleting('for-a-while')).toBe(false);
    await eventually(() => deleting('for-a-while'), { timeoutMs: 8000, what: 'for-a-while evicted' });
    expect(Date.now() - taintedAt).toBeGreaterThanOrEqual(1500);
    expect(await deleting('always')).toBe(false);
    const evicted = await cp.admin.get(Pods, 'default', 'untolerating');
    expect((evicted.status as { conditions?: { type: string; reason?: string }[] }).conditions).toContainEqual(expect.objectContaining({ type: 'DisruptionTarget', reason: 'DeletionByTaintManager' }));
    await cp.admin.patch(Nodes, undefined, 'n1', { spec: { taints: null } }, 'merge');
  });

  it('pods of a deleted node are garbage-collected once it has been gone for the quarantine time (Failed, DeletionByPodGC, then deleted), and the node is said to be removed', async () => {
    n2Renewing = false;
    // (the controller manager runs in this process: its /metrics is this registry)
    const forced = async () => Number(/^pod_gc_collector_force_delete_pods_total\{namespace="default",reason="orphaned"\} (\d+)$/m.exec(await register.metrics())?.[1] ?? 0);
    const forcedBefore = await forced();
    await cp.admin.create(Pods, 'default', pod('orphan'));
    await cp.admin.bind('default', 'orphan', 'n2');
    await cp.admin.delete(Nodes, undefined, 'n2');
    const deletedAt = Date.now();
    await eventually(async () => {
      try {
        await cp.admin.get(Pods, 'default', 'orphan');
        return false;
      } catch (e) {
        return e instanceof StatusError && e.code === 404;
      }
    }, { timeoutMs: 10_000 });
    // (not before the quarantine time, 2 s here: PodGC's 40 s)
    expect(Date.now() - deletedAt).toBeGreaterThanOrEqual(1900);
    // Counted as 1.32's PodGC counts a forced deletion, by namespace and reason.
    expect(await forced()).toBe(forcedBefore + 1);
    // The controller says the node went.
    await eventually(async () => (await cp.admin.list(Events, 'default', { fieldSelector: 'involvedObject.name=n2,reason=RemovingNode' })).items.some((e) => (e as { message?: string }).message === 'Node n2 event: Removing Node n2 from Controller'), { timeoutMs: 5000, what: 'RemovingNode' });
  });
});
