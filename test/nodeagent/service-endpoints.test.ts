// Services over real pods: a node agent runs a busybox pod (runc, its own network namespace and
// IP) whose readiness probe passes after a moment; the controller-manager's endpoints follow it
// (not ready, then ready with the pod's real IP and node), and its graceful deletion (terminating
// but serving, then gone).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndpointSlice, Endpoints } from '../../pkg/api/types.js';
import { EndpointSlices, EndpointsRef, Pods, Services, StatusError } from '../../pkg/client/rest-client.js';
import { eventually } from '../helpers/control-plane.js';
import { busyboxPod, ctr, podStatus, startCluster, type Cluster } from './harness.js';

let c: Cluster;
beforeAll(async () => {
  c = await startCluster({ controllers: {} });
}, 180_000);
afterAll(async () => {
  await c?.stop();
});

const getEndpoints = () => c.cp.admin.get<Endpoints>(EndpointsRef, 'default', 'web').catch((e) => (e instanceof StatusError && e.code === 404 ? undefined : Promise.reject(e)));
const slice = async () => (await c.cp.admin.list<EndpointSlice>(EndpointSlices, 'default', { labelSelector: 'kubernetes.io/service-name=web' })).items[0];

describe('endpoints of real pods', () => {
  it('follow the pod from not ready to ready to terminating to gone', async () => {
    await c.cp.admin.create(Services, 'default', { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    const p = busyboxPod('web-0', {
      terminationGracePeriodSeconds: 3,
      containers: [ctr('main', 'sleep 2; touch /tmp/ready; sleep 3600', { ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1 } })],
    });
    (p.metadata as Record<string, unknown>).labels = { app: 'web' };
    await c.cp.admin.create(Pods, 'default', p);
    const ip = await eventually(async () => (await podStatus(c, 'web-0')).podIP, { timeoutMs: 60_000, what: 'pod IP' });
    expect(ip).toMatch(/^10\.199\.0\.\d+$/);

    // Running but not ready yet: a not-ready address (it may already be ready on a slow machine).
    const first = await eventually(async () => {
      const e = await getEndpoints();
      return e?.subsets?.length ? e : undefined;
    }, { timeoutMs: 30_000, what: 'endpoints with the pod' });
    const addr = first.subsets![0]!.addresses?.[0] ?? first.subsets![0]!.notReadyAddresses?.[0];
    expect(addr).toMatchObject({ ip, nodeName: 'e2e-node', targetRef: { kind: 'Pod', name: 'web-0' } });
    expect(first.subsets![0]!.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);

    const ready = await eventually(async () => {
      const e = await getEndpoints();
      return e?.subsets?.[0]?.addresses?.[0]?.ip === ip ? e : undefined;
    }, { timeoutMs: 30_000, what: 'the pod ready in Endpoints' });
    expect(ready.subsets![0]!.notReadyAddresses).toBeUndefined();
    await eventually(async () => (await slice())?.endpoints?.[0]?.conditions?.ready === true, { what: 'ready in the slice' });
    expect((await slice())?.endpoints?.[0]).toMatchObject({ addresses: [ip], nodeName: 'e2e-node', conditions: { ready: true, serving: true, terminating: false } });

    // Graceful deletion: terminating (still serving) while the agent stops it, then gone.
    await c.cp.admin.delete(Pods, 'default', 'web-0');
    // (an Endpoints with no addresses has no subsets at all, as 1.32 serves it)
    await eventually(async () => {
      const e = await getEndpoints();
      return !!e && e.subsets === undefined;
    }, { timeoutMs: 15_000, what: 'out of Endpoints once terminating' });
    await eventually(async () => {
      const e = (await slice())?.endpoints;
      return !e?.length || e[0]?.conditions?.terminating === true;
    }, { timeoutMs: 15_000, what: 'terminating (or already gone) in the slice' });
    await eventually(async () => !(await slice())?.endpoints?.length, { timeoutMs: 30_000, what: 'gone from the slice' });
    await c.cp.admin.delete(Services, 'default', 'web');
  }, 120_000);
});
