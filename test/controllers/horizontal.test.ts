// The horizontal pod autoscaler against a real apiserver+etcd, scheduler and controller manager
// talking gRPC (as in a cluster: the scale subresource and the metrics list go over it), a fake
// kubelet, and a fake node agent whose /stats/usage reports the CPU the test decides: the
// metrics reach the controller through metrics.k8s.io exactly as `kubectl top` reads them.
// Scale up to maxReplicas (never beyond), the 10% tolerance, a scale down held by a short
// stabilization window, replicas above maxReplicas, a missing target, pods without metrics.
import { createServer, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { Deployments, HorizontalPodAutoscalers, Nodes, Pods } from '../../pkg/client/rest-client.js';
import { eventually, node, sleep, type TestControlPlane } from '../helpers/control-plane.js';
import { freePort } from '../helpers/ports.js';
import { deployment, startWithScheduler } from '../helpers/workloads.js';

let cp: TestControlPlane;
let env: Awaited<ReturnType<typeof startWithScheduler>> | undefined;
let agent: Server | undefined;
/** Millicores each pod burns, by its app label; undefined: the agent reports no metrics for it. */
const burn: Record<string, number | undefined> = {};

const SYNC_MS = 1000;
const STABILIZATION_MS = 5000;

beforeAll(async () => {
  env = await startWithScheduler('grpc', { nodeMonitorGracePeriodMs: 600_000, horizontal: { syncPeriodMs: SYNC_MS, downscaleStabilizationMs: STABILIZATION_MS } });
  cp = env.cp;
  // The node agent's usage report, for the pods bound to the node.
  const port = await freePort();
  agent = createServer({ cert: readFileSync(join(cp.dataDir, 'pki', 'apiserver.crt')), key: readFileSync(join(cp.dataDir, 'pki', 'apiserver.key')) }, (req, res) => {
    void (async () => {
      const pods = (await cp.admin.list(Pods, undefined, { fieldSelector: 'spec.nodeName=m1' })).items.filter((p) => !p.metadata?.deletionTimestamp);
      const report = {
        timestamp: new Date().toISOString(),
        windowSeconds: 1,
        node: { cpuNanoCores: 1e8, memoryWorkingSetBytes: 1e9 },
        pods: pods
          .filter((p) => burn[p.metadata!.labels!.app!] !== undefined)
          .map((p) => ({ namespace: p.metadata!.namespace, name: p.metadata!.name, uid: p.metadata!.uid, containers: [{ name: 'main', cpuNanoCores: burn[p.metadata!.labels!.app!]! * 1e6, memoryWorkingSetBytes: 8e6 }] })),
      };
      res.writeHead(req.url === '/stats/usage' ? 200 : 404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(report));
    })();
  });
  await new Promise<void>((r) => agent!.listen(port, '127.0.0.1', () => r()));
  cp.nodeClient('m1'); // (the agent's credentials, which the apiserver presents to it)
  const n = node('m1');
  Object.assign(n.status as object, { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } });
  await cp.admin.create(Nodes, undefined, n);
}, 60_000);
afterAll(async () => {
  await env?.stop();
  agent?.closeAllConnections();
  agent?.close();
});

type Condition = { type: string; status: string; reason: string; message: string };
type HpaStatus = { currentReplicas?: number; desiredReplicas?: number; lastScaleTime?: string; currentMetrics?: { type: string; resource?: { name: string; current: { averageUtilization?: number; averageValue?: string } } }[]; conditions?: Condition[] };

const withRequest = (name: string, replicas: number) => {
  const d = deployment(name, replicas);
  const c = (d.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0]!;
  c.resources = { requests: { cpu: '100m' } };
  return d;
};
const autoscaler = (name: string, max: number, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name },
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, minReplicas: 1, maxReplicas: max, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }], ...extra },
});
const replicas = async (name: string) => ((await cp.admin.get(Deployments, 'default', name)).spec as { replicas: number }).replicas;
const hpaStatus = async (name: string) => ((await cp.admin.get(HorizontalPodAutoscalers, 'default', name)).status ?? {}) as HpaStatus;
const condition = (st: HpaStatus, type: string) => st.conditions?.find((c) => c.type === type);
const events = async (name: string) =>
  (await cp.admin.request<{ items: (KubeObject & { reason: string; message: string; type: string })[] }>('/api/v1/namespaces/default/events', { query: { fieldSelector: `involvedObject.name=${name},involvedObject.kind=HorizontalPodAutoscaler` } })).items;
const readyCount = async (name: string) =>
  (await cp.admin.list(Pods, 'default', { labelSelector: `app=${name}` })).items.filter((p) => !p.metadata?.deletionTimestamp && ((p.status as { conditions?: Condition[] }).conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')).length;

describe('horizontal pod autoscaler', () => {
  it('scales a Deployment up from its pods CPU, to maxReplicas and no further', async () => {
    burn.burn = 250; // 250% of the 100m request
    await cp.admin.create(Deployments, 'default', withRequest('burn', 1));
    await eventually(async () => (await readyCount('burn')) === 1, { what: 'one ready pod' });
    await sleep(1100); // a full metrics window after readiness
    await cp.admin.create(HorizontalPodAutoscalers, 'default', autoscaler('burn', 3));
    await eventually(async () => (await replicas('burn')) === 3, { timeoutMs: 15_000, what: 'scaled to 3' });
    const st = await eventually(async () => {
      const s = await hpaStatus('burn');
      return s.desiredReplicas === 3 && s.currentMetrics?.[0]?.resource ? s : undefined;
    });
    expect(st.lastScaleTime).toBeDefined();
    expect(st.currentMetrics![0]!.resource).toEqual({ name: 'cpu', current: { averageUtilization: 250, averageValue: '250m' } });
    expect(condition(st, 'ScalingActive')).toMatchObject({ status: 'True', reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)' });
    expect(condition(st, 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'TooManyReplicas' });
    expect(condition(st, 'AbleToScale')?.status).toBe('True');
    // the new pods burn too: still 3 over several syncs
    await eventually(async () => (await readyCount('burn')) === 3, { what: 'three ready pods' });
    for (let i = 0; i < 4; i++) {
      await sleep(SYNC_MS);
      expect(await replicas('burn')).toBe(3);
    }
    expect((await hpaStatus('burn')).currentReplicas).toBe(3);
    const rescales = (await events('burn')).filter((e) => e.reason === 'SuccessfulRescale');
    expect(rescales.map((e) => e.message)).toEqual(['New size: 3; reason: cpu resource utilization (percentage of request) above target']);
  });

  it('stays within the tolerance, and scales down only after the stabilization window', async () => {
    burn.burn = 53; // 53% against 50%: within 10%
    await sleep(3 * SYNC_MS);
    expect(await replicas('burn')).toBe(3);
    burn.burn = 10;
    const dropped = Date.now();
    const held = await eventually(async () => {
      const s = await hpaStatus('burn');
      return condition(s, 'AbleToScale')?.reason === 'ScaleDownStabilized' ? s : undefined;
    }, { timeoutMs: 10_000, what: 'ScaleDownStabilized' });
    expect(held.desiredReplicas).toBe(3);
    expect(await replicas('burn')).toBe(3);
    await eventually(async () => (await replicas('burn')) === 1, { timeoutMs: 20_000, what: 'scaled down to 1' });
    expect(Date.now() - dropped).toBeGreaterThanOrEqual(STABILIZATION_MS - 2 * SYNC_MS);
    await eventually(async () => (await events('burn')).some((e) => e.message === 'New size: 1; reason: All metrics below target'), { what: 'scale down event' });
    await cp.admin.delete(HorizontalPodAutoscalers, 'default', 'burn');
    await cp.admin.delete(Deployments, 'default', 'burn');
  });

  it('brings replicas above maxReplicas down without metrics, and reports a missing target', async () => {
    await cp.admin.create(Deployments, 'default', withRequest('many', 4));
    await cp.admin.create(HorizontalPodAutoscalers, 'default', autoscaler('many', 2));
    await eventually(async () => (await replicas('many')) === 2, { timeoutMs: 10_000, what: 'scaled to 2' });
    await eventually(async () => (await events('many')).some((e) => e.message === 'New size: 2; reason: Current number of replicas above Spec.MaxReplicas'));
    await cp.admin.create(HorizontalPodAutoscalers, 'default', autoscaler('nothere', 2));
    const st = await eventually(async () => {
      const s = await hpaStatus('nothere');
      return condition(s, 'AbleToScale') ? s : undefined;
    });
    expect(condition(st, 'AbleToScale')).toMatchObject({ status: 'False', reason: 'FailedGetScale', message: `the HPA controller was unable to get the target's current scale: deployments.apps "nothere" not found` });
    await cp.admin.delete(Deployments, 'default', 'many');
  });

  it('says why it cannot scale when the pods have no metrics', async () => {
    burn.quiet = undefined;
    await cp.admin.create(Deployments, 'default', withRequest('quiet', 1));
    await cp.admin.create(HorizontalPodAutoscalers, 'default', autoscaler('quiet', 3));
    const st = await eventually(async () => {
      const s = await hpaStatus('quiet');
      return condition(s, 'ScalingActive') ? s : undefined;
    }, { timeoutMs: 10_000 });
    expect(condition(st, 'ScalingActive')).toMatchObject({
      status: 'False',
      reason: 'FailedGetResourceMetric',
      message: 'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API',
    });
    expect(await replicas('quiet')).toBe(1);
    await eventually(async () => (await events('quiet')).some((e) => e.reason === 'FailedGetResourceMetric' && e.type === 'Warning'));
  });
});
