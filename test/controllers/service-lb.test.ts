// The service load-balancer controller against the real apiserver and etcd: LoadBalancer
// Services get the InternalIPs of the Ready, schedulable nodes (kubectl get svc shows them as
// EXTERNAL-IP), following nodes as they join, leave, are cordoned or change readiness; other
// classes are left alone; loadBalancerIP is honoured or refused with a Warning; the apiserver
// allocates (and releases) the health check node port of externalTrafficPolicy Local, respects
// allocateLoadBalancerNodePorts=false and validates loadBalancerSourceRanges.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject, Node, Service } from '../../pkg/api/types.js';
import { EventSink } from '../../pkg/client/event-sink.js';
import { Informer } from '../../pkg/client/informer.js';
import { Events, Nodes, Services } from '../../pkg/client/rest-client.js';
import { ServiceLBController } from '../../pkg/controllers/service-lb.js';
import { eventually, failure, node, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt } from '../helpers/kubectl.js';

let cp: TestControlPlane;
let dir: string;
let controller: ServiceLBController;
const informers: Informer[] = [];

const kubectl = (...args: string[]) => kubectlAt(cp.kubeconfig, join(dir, 'cache'), args);

const labNode = (name: string, ip: string, ready = true) => {
  const n = node(name) as { status: { conditions: { type: string; status: string }[]; addresses?: unknown[] } };
  n.status.conditions = [{ type: 'Ready', status: ready ? 'True' : 'False' }];
  n.status.addresses = [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }];
  return n;
};
const lb = (name: string, spec: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port: 80 }], ...spec } });
const ingressOf = async (name: string) => ((await cp.admin.get<Service>(Services, 'default', name)).status?.loadBalancer?.ingress ?? []).map((i) => `${i.ip}/${i.ipMode}`).join(',');
const reasons = async (name: string) => ((await cp.admin.list<KubeObject & { reason?: string; involvedObject?: { name?: string } }>(Events, 'default')).items ?? []).filter((e) => e.involvedObject?.name === name).map((e) => e.reason);

async function setNode(name: string, f: (n: Node & KubeObject) => void, sub?: string) {
  const n = await cp.admin.get<Node & KubeObject>(Nodes, undefined, name);
  f(n);
  await cp.admin.update(Nodes, undefined, name, n, sub);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-svclb-'));
  cp = await startControlPlane();
  for (const [name, ip, ready] of [['lb-n1', '172.31.248.11', true], ['lb-n2', '172.31.248.12', true], ['lb-n3', '172.31.248.13', false]] as const) {
    await cp.admin.create(Nodes, undefined, labNode(name, ip, ready));
  }
  const services = new Informer<Service & KubeObject>(cp.admin, Services);
  const nodes = new Informer<Node & KubeObject>(cp.admin, Nodes);
  informers.push(services as unknown as Informer, nodes as unknown as Informer);
  for (const i of informers) i.start();
  await Promise.all(informers.map((i) => i.hasSynced()));
  controller = new ServiceLBController(cp.admin, { services, nodes }, new EventSink());
  controller.start();
}, 60_000);

afterAll(async () => {
  controller?.stop();
  for (const i of informers) i.stop();
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('service load-balancer controller', () => {
  it('publishes the Ready nodes’ InternalIPs (EXTERNAL-IP in kubectl), with the service controller’s events', async () => {
    const s = await cp.admin.create<Service>(Services, 'default', lb('web'));
    expect(s.spec?.ports?.[0]?.nodePort).toBeGreaterThan(0);
    await eventually(async () => (await ingressOf('web')) === '172.31.248.11/VIP,172.31.248.12/VIP', { what: 'ingress of web' });
    await eventually(async () => {
      const r = await reasons('web');
      return r.includes('EnsuringLoadBalancer') && r.includes('EnsuredLoadBalancer');
    }, { what: 'events' });
    if (hasKubectl) {
      const got = await kubectl('get', 'svc', 'web', '--no-headers');
      expect(got.code).toBe(0);
      expect(got.out).toMatch(new RegExp(`^web\\s+LoadBalancer\\s+\\S+\\s+172\\.31\\.248\\.11,172\\.31\\.248\\.12\\s+80:${s.spec!.ports![0]!.nodePort}/TCP\\s`));
      const described = await kubectl('describe', 'svc', 'web');
      expect(described.out).toMatch(/LoadBalancer Ingress:\s+172\.31\.248\.11 \(VIP\), 172\.31\.248\.12 \(VIP\)\n/);
      expect(described.out).toMatch(/Normal\s+EnsuredLoadBalancer\s+\S+\s+service-lb-controller\s+Ensured load balancer/);
    }
  });

  it('follows the nodes: cordoned leaves, Ready joins, deleted leaves', async () => {
    await setNode('lb-n2', (n) => (n.spec = { ...n.spec, unschedulable: true }));
    await eventually(async () => (await ingressOf('web')) === '172.31.248.11/VIP', { what: 'cordoned n2 gone' });
    await setNode('lb-n3', (n) => (n.status!.conditions = [{ type: 'Ready', status: 'True' }]), 'status');
    await eventually(async () => (await ingressOf('web')) === '172.31.248.11/VIP,172.31.248.13/VIP', { what: 'Ready n3 in' });
    await cp.admin.delete(Nodes, undefined, 'lb-n1');
    await eventually(async () => (await ingressOf('web')) === '172.31.248.13/VIP', { what: 'deleted n1 gone' });
    expect(await reasons('web')).toContain('UpdatedLoadBalancer');
  });

  it('leaves other load-balancer classes alone; honours a loadBalancerIP of a node and refuses any other with a Warning', async () => {
    await cp.admin.create(Services, 'default', lb('metal', { loadBalancerClass: 'example.com/metal' }));
    await cp.admin.create(Services, 'default', lb('pinned', { loadBalancerIP: '172.31.248.13' }));
    await cp.admin.create(Services, 'default', lb('elsewhere', { loadBalancerIP: '192.0.2.9' }));
    await eventually(async () => (await ingressOf('pinned')) === '172.31.248.13/VIP', { what: 'pinned' });
    await eventually(async () => (await reasons('elsewhere')).includes('SyncLoadBalancerFailed'), { what: 'refusal event' });
    expect(await ingressOf('elsewhere')).toBe('');
    expect(await ingressOf('metal')).toBe('');
  });

  it('clears the ingress when the type changes away from LoadBalancer', async () => {
    const s = await cp.admin.get<Service>(Services, 'default', 'pinned');
    await cp.admin.update(Services, 'default', 'pinned', { ...s, spec: { ...s.spec, type: 'NodePort', loadBalancerIP: undefined } });
    await eventually(async () => (await ingressOf('pinned')) === '', { what: 'ingress cleared' });
    await eventually(async () => (await reasons('pinned')).includes('DeletedLoadBalancer'), { what: 'DeletedLoadBalancer event' });
    await eventually(async () => !(await cp.admin.get<Service>(Services, 'default', 'pinned')).metadata?.finalizers?.length, { what: 'cleanup finalizer off pinned' });
    expect(await reasons('pinned')).toContain('DeletingLoadBalancer');
  });

  it('holds a deleted LoadBalancer Service with the service controller\'s cleanup finalizer until its load balancer is gone', async () => {
    expect((await cp.admin.get<Service>(Services, 'default', 'web')).metadata?.finalizers).toEqual(['service.kubernetes.io/load-balancer-cleanup']);
    expect((await cp.admin.get<Service>(Services, 'default', 'metal')).metadata?.finalizers).toBeUndefined();
    await cp.admin.delete(Services, 'default', 'web');
    await eventually(async () => (await cp.admin.get(Services, 'default', 'web').then(() => false, (e: { code?: number }) => e.code === 404)), { what: 'web deleted once its finalizer is off' });
    // (events are written after the fact, by the event sink)
    await eventually(async () => (await reasons('web')).includes('DeletedLoadBalancer'), { what: 'DeletedLoadBalancer event' });
    expect(await reasons('web')).toContain('DeletingLoadBalancer');
  });
});

describe('apiserver: load-balancer fields', () => {
  it('allocates a healthCheckNodePort for externalTrafficPolicy Local, keeps it on update, releases it when the policy goes back to Cluster', async () => {
    await cp.admin.create<Service>(Services, 'default', lb('local', { externalTrafficPolicy: 'Local' }));
    // The controller writes the status: update after it, so the update does not conflict with it.
    await eventually(async () => (await ingressOf('local')) !== '', { what: 'ingress of local' });
    const s = await cp.admin.get<Service>(Services, 'default', 'local');
    const hc = s.spec!.healthCheckNodePort!;
    expect(hc).toBeGreaterThanOrEqual(30000);
    expect(hc).not.toBe(s.spec!.ports![0]!.nodePort);
    const kept = await cp.admin.update<Service>(Services, 'default', 'local', { ...s, spec: { ...s.spec, healthCheckNodePort: undefined } });
    expect(kept.spec?.healthCheckNodePort).toBe(hc);
    // Another Service asking for the port gets 422 while it is held...
    const taken = await failure(cp.admin.create(Services, 'default', lb('taker', { ports: [{ port: 80, nodePort: hc }] })));
    expect(taken.message).toBe(`Service "taker" is invalid: spec.ports[0].nodePort: Invalid value: ${hc}: provided port is already allocated`);
    const cluster = await cp.admin.update<Service>(Services, 'default', 'local', { ...kept, spec: { ...kept.spec, externalTrafficPolicy: 'Cluster' } });
    expect(cluster.spec?.healthCheckNodePort).toBeUndefined();
    // ...and may have it once released.
    const taker = await cp.admin.create<Service>(Services, 'default', lb('taker', { ports: [{ port: 80, nodePort: hc }] }));
    expect(taker.spec?.ports?.[0]?.nodePort).toBe(hc);
  });

  it('allocates no node port with allocateLoadBalancerNodePorts=false', async () => {
    const s = await cp.admin.create<Service>(Services, 'default', lb('noports', { allocateLoadBalancerNodePorts: false }));
    expect(s.spec?.ports?.[0]?.nodePort).toBeUndefined();
  });

  it('validates loadBalancerSourceRanges as Kubernetes does', async () => {
    const bad = await failure(cp.admin.create(Services, 'default', lb('badrange', { loadBalancerSourceRanges: ['10.0.0.0/8', 'nope'] })));
    expect(bad.code).toBe(422);
    expect(bad.message).toBe('Service "badrange" is invalid: spec.LoadBalancerSourceRanges[1]: Invalid value: "nope": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)');
    const onNodePort = await failure(cp.admin.create(Services, 'default', lb('nprange', { type: 'NodePort', loadBalancerSourceRanges: ['10.0.0.0/8'] })));
    expect(onNodePort.message).toBe("Service \"nprange\" is invalid: spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'");
    const ok = await cp.admin.create<Service>(Services, 'default', lb('okrange', { loadBalancerSourceRanges: [' 192.0.2.0/24'] }));
    expect(ok.spec?.loadBalancerSourceRanges).toEqual([' 192.0.2.0/24']);
  });
});
