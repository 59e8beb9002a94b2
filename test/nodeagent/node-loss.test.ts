// Node loss with a real agent (and a second node that stays Ready): stop it, and the node goes
// Ready=Unknown once its lease is older than the grace period, gets the unreachable taint, and
// its pods are evicted after their toleration; when the agent comes back the taint goes and the
// evicted pod is torn down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { Leases, Nodes, Pods, StatusError } from '../../pkg/client/rest-client.js';
import { ControllerManager, defaultControllerConfig } from '../../pkg/controllers/manager.js';
import { eventually } from '../helpers/control-plane.js';
import { busyboxPod, ctr, podStatus, startCluster, type Cluster } from './harness.js';

let c: Cluster;
let cm: ControllerManager;
const graceMs = 4000;

beforeAll(async () => {
  c = await startCluster();
  // (a 4 s lease, renewed every second: NodeLeaseRenewIntervalFraction)
  c.cfg.leaseDurationSec = 4;
  await c.restartAgent();
  cm = new ControllerManager(c.cp.admin, { ...defaultControllerConfig, allocateNodeCIDRs: false, nodeMonitorGracePeriodMs: graceMs, nodeMonitorPeriodMs: 500, leaderElect: false });
  await cm.start();
}, 120_000);
let peerRenewal: NodeJS.Timeout | undefined;
afterAll(async () => {
  if (peerRenewal) clearInterval(peerRenewal);
  await c?.cp.admin.delete(Nodes, undefined, 'e2e-peer').catch(() => {});
  await cm?.stop();
  await c?.stop();
});

const ready = (n: KubeObject) => ((n.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).find((x) => x.type === 'Ready')?.status;
const taints = (n: KubeObject) => ((n.spec as { taints?: { key: string }[] }).taints ?? []).map((t) => t.key);

describe('node loss', () => {
  it('goes Unknown after the lease grace period, evicts after the toleration, and recovers', async () => {
    const p = busyboxPod('on-lost-node', { containers: [ctr('main', 'sleep 3600')], tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }] });
    await c.cp.admin.create(Pods, 'default', p);
    await eventually(async () => (await podStatus(c, 'on-lost-node')).phase === 'Running', { timeoutMs: 30_000 });
    // A second node that stays Ready (its lease renewed here): with every node down the node
    // lifecycle controller would evict nobody (the disruption mode), as 1.32's.
    const micro = () => new Date().toISOString().replace('Z', '000Z');
    await c.cp.admin.create(Nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'e2e-peer' }, spec: { taints: [{ key: 'e2e', effect: 'NoSchedule' }] }, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] } });
    await c.cp.admin.create(Leases, 'kube-node-lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'e2e-peer' }, spec: { holderIdentity: 'e2e-peer', leaseDurationSeconds: 40, renewTime: micro() } });
    peerRenewal = setInterval(() => {
      void c.cp.admin.get(Leases, 'kube-node-lease', 'e2e-peer').then((l) => c.cp.admin.update(Leases, 'kube-node-lease', 'e2e-peer', { ...l, spec: { ...(l.spec as object), renewTime: micro() } })).catch(() => {});
    }, 500);
    await c.stopAgent();
    const stoppedAt = Date.now();
    const n = await eventually(async () => {
      const node = await c.cp.admin.get(Nodes, undefined, 'e2e-node');
      return ready(node) === 'Unknown' ? node : undefined;
    }, { timeoutMs: 20_000, what: 'Ready=Unknown' });
    const took = Date.now() - stoppedAt;
    expect(took).toBeGreaterThanOrEqual(graceMs - 1500);
    expect(took).toBeLessThan(graceMs + 5000);
    await eventually(async () => taints(await c.cp.admin.get(Nodes, undefined, 'e2e-node')).includes('node.kubernetes.io/unreachable'));
    void n;
    const evicted = await eventually(async () => {
      const pod = await c.cp.admin.get(Pods, 'default', 'on-lost-node');
      return pod.metadata?.deletionTimestamp ? pod : undefined;
    }, { timeoutMs: 20_000, what: 'eviction' });
    expect((evicted.status as { conditions: { type: string; reason?: string }[] }).conditions).toContainEqual(expect.objectContaining({ type: 'DisruptionTarget', reason: 'DeletionByTaintManager' }));
    // The node returns: Ready again, taint gone, the evicted pod torn down and deleted.
    await c.startAgent();
    await eventually(async () => {
      const node = await c.cp.admin.get(Nodes, undefined, 'e2e-node');
      return ready(node) === 'True' && !taints(node).includes('node.kubernetes.io/unreachable');
    }, { timeoutMs: 20_000, what: 'node recovered' });
    await eventually(async () => {
      try {
        await c.cp.admin.get(Pods, 'default', 'on-lost-node');
        return false;
      } catch (e) {
        return e instanceof StatusError && e.code === 404;
      }
    }, { timeoutMs: 20_000, what: 'evicted pod removed' });
  });
});
