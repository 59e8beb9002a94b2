// Whose name a component's writes carry: with a control plane, the controller manager, the
// scheduler and a kubelet's client writing without a fieldManager, managedFields and server-side
// apply conflicts name them as 1.32 does (kube-controller-manager, kube-scheduler, kubelet: the
// user agent's part before '/', prefixFromUserAgent), not tskube's own binary names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { Nodes, Pods, ReplicaSets, Deployments } from '../../pkg/client/rest-client.js';
import { eventually, failure, node, pod, type TestControlPlane } from '../helpers/control-plane.js';
import { deployment, startWithScheduler } from '../helpers/workloads.js';

let cp: TestControlPlane;
let env: Awaited<ReturnType<typeof startWithScheduler>> | undefined;

beforeAll(async () => {
  env = await startWithScheduler('rest', {});
  cp = env.cp;
});
afterAll(async () => {
  await env?.stop();
});

const managers = (o: KubeObject) => (o.metadata?.managedFields ?? []).map((e) => `${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ''}`).sort();

describe('field managers of the components', () => {
  it('the controller manager writes as kube-controller-manager, and a conflict on .spec.replicas names it', async () => {
    await cp.admin.create(Deployments, 'default', deployment('fm-web', 1));
    const rs = await eventually(async () => (await cp.admin.list(ReplicaSets, 'default', { labelSelector: 'app=fm-web' })).items[0]);
    expect(managers(rs)).toContain('kube-controller-manager/Update');
    const d = await eventually(async () => {
      const got = await cp.admin.get(Deployments, 'default', 'fm-web');
      return managers(got).includes('kube-controller-manager/Update/status') ? got : undefined;
    });
    expect(managers(d)).toEqual(['kube-controller-manager/Update/status', 'tsctl/Update']);
    const applied = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: rs.metadata!.name }, spec: { replicas: 3 } };
    const e = await failure(cp.admin.request(cp.admin.path(ReplicaSets, 'default', rs.metadata!.name!), { method: 'PATCH', body: applied, contentType: 'application/apply-patch+yaml', query: { fieldManager: 'kubectl' } }));
    expect(e.code).toBe(409);
    expect(e.message).toBe('Apply failed with 1 conflict: conflict with "kube-controller-manager" using apps/v1: .spec.replicas');
  });

  it('the scheduler writes a pod it cannot place as kube-scheduler, a kubelet its node and pods as kubelet', async () => {
    const stuck = await cp.admin.create(Pods, 'default', pod('fm-stuck', { spec: { nodeSelector: { nowhere: 'x' }, containers: [{ name: 'main', image: 'busybox:1.36' }] } }));
    const unscheduled = await eventually(async () => {
      const p = await cp.admin.get(Pods, 'default', stuck.metadata!.name!);
      return managers(p).includes('kube-scheduler/Update/status') ? p : undefined;
    });
    expect(managers(unscheduled)).toEqual(['kube-scheduler/Update/status', 'tsctl/Update']);
    const n1 = cp.nodeClient('fm-n1');
    const created = await n1.create(Nodes, undefined, node('fm-n1'));
    expect(managers(created)).toEqual(['kubelet/Update']);
    await cp.admin.create(Pods, 'default', pod('fm-run'));
    const running = await eventually(async () => {
      const p = await cp.admin.get(Pods, 'default', 'fm-run');
      return managers(p).includes('kubelet/Update/status') ? p : undefined;
    });
    expect(managers(running)).toContain('kubelet/Update/status');
  });
});
