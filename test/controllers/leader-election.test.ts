// The controller manager's leader election against a real apiserver+etcd: a manager that loses
// its Lease while its informers are still listing starts no controller (kube-controller-manager
// 1.32 exits on "leaderelection lost"), and one that wins it back runs one set of controllers, so
// a ReplicaSet gets its replicas once, not once per term.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import type { ApiClient } from '../../pkg/client/api-client.js';
import { Leases, Pods, ReplicaSets, RestClient } from '../../pkg/client/rest-client.js';
import { ControllerManager, defaultControllerConfig } from '../../pkg/controllers/manager.js';
import { eventually, sleep, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { replicaSet } from '../helpers/workloads.js';

let cp: TestControlPlane;
let client: RestClient | undefined;
let cm: ControllerManager | undefined;

beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cm?.stop();
  client?.close();
  await cp?.stop();
});

const microTime = () => new Date().toISOString().replace('Z', '000Z');
const leaseSpec = async () => ((await cp.admin.get(Leases, 'kube-system', 'kube-controller-manager').catch(() => undefined))?.spec ?? {}) as { holderIdentity?: string };

describe('controller manager leader election', () => {
  it('leadership lost while the informers list starts no controller; won back, one set of controllers creates the replicas once', async () => {
    client = new RestClient(cp.config);
    // The ReplicaSets' list is held until released: the manager is still listing when its lease goes.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const gated = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop === 'list') {
          return async (...args: Parameters<ApiClient['list']>) => {
            if (args[0].resource === 'replicasets') await held;
            return target.list(...args);
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as ApiClient;
    cm = new ControllerManager(gated, { ...defaultControllerConfig, allocateNodeCIDRs: false, leaderElect: true, leaseDurationSec: 15, renewDeadlineSec: 10, retryPeriodSec: 1 });
    await cm.start();
    const identity = await eventually(async () => (await leaseSpec()).holderIdentity);
    // Another manager takes the lease (as after this one was cut off past its lease).
    const lease = await cp.admin.get(Leases, 'kube-system', 'kube-controller-manager');
    await cp.admin.update(Leases, 'kube-system', 'kube-controller-manager', { ...lease, spec: { ...(lease.spec as object), holderIdentity: 'other', renewTime: microTime(), leaseDurationSeconds: 15 } });
    await sleep(2500); // (a retry period and more: the manager has seen it and stepped down)
    release();
    await cp.admin.create(ReplicaSets, 'default', replicaSet('web', 2));
    await sleep(3000);
    expect((await cp.admin.list(Pods, 'default', { labelSelector: 'app=web' })).items).toHaveLength(0);
    // The other manager gives the lease up: ours takes it and its controllers do the work, once.
    const held2 = await cp.admin.get(Leases, 'kube-system', 'kube-controller-manager');
    await cp.admin.update(Leases, 'kube-system', 'kube-controller-manager', { ...held2, spec: { ...(held2.spec as object), holderIdentity: undefined, leaseDurationSeconds: 1 } });
    await eventually(async () => ((await leaseSpec()).holderIdentity === identity ? true : undefined), { timeoutMs: 10_000, what: 'the lease won back' });
    await eventually(async () => (await cp.admin.list(Pods, 'default', { labelSelector: 'app=web' })).items.length === 2, { timeoutMs: 10_000, what: '2 pods' });
    await sleep(2000);
    const pods = (await cp.admin.list<KubeObject>(Pods, 'default', { labelSelector: 'app=web' })).items;
    expect(pods).toHaveLength(2);
  });
});
