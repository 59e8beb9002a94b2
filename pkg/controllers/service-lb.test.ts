// The service load-balancer controller against fake informers and a recording client: the
// InternalIPs of Ready, schedulable, not excluded nodes for our LoadBalancer Services only,
// loadBalancerIP honoured or refused, the status cleared when the type changes, and the events.
import { describe, expect, it } from 'vitest';
import type { KubeObject, Node, Service } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { EventSink } from '../client/event-sink.js';
import type { Informer } from '../client/informer.js';
import { StaticInformer } from '../../test/helpers/fake-informer.js';
import { isOurLoadBalancer, loadBalancerAddresses, planLoadBalancer, ServiceLBController } from './service-lb.js';

const node = (name: string, ip: string | undefined, opts: { ready?: boolean; unschedulable?: boolean; labels?: Record<string, string> } = {}): Node & KubeObject => ({
  metadata: { name, labels: opts.labels ?? {} },
  spec: { unschedulable: opts.unschedulable },
  status: { conditions: [{ type: 'Ready', status: opts.ready === false ? 'Unknown' : 'True' }], addresses: ip ? [{ type: 'Hostname', address: name }, { type: 'InternalIP', address: ip }] : [{ type: 'Hostname', address: name }] },
});
const svc = (name: string, spec: Service['spec'], status?: Service['status']): Service & KubeObject => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: { ports: [{ port: 80 }], ...spec },
  status: status ?? { loadBalancer: {} },
});

function setup(services: (Service & KubeObject)[], nodes: (Node & KubeObject)[]) {
  const writes: { name: string; status: Service['status'] }[] = [];
  const inf = { services: new StaticInformer(services), nodes: new StaticInformer(nodes) };
  const events: { reason: string; type: string; message: string }[] = [];
  const client = {
    async update(_ref: unknown, _ns: string, name: string, obj: KubeObject, sub?: string) {
      expect(sub).toBe('status');
      writes.push({ name, status: obj.status as Service['status'] });
      inf.services.items.set(`default/${name}`, obj as Service & KubeObject);
      return obj;
    },
    async create(_ref: unknown, _ns: string, ev: { type: string; reason: string; message: string }) {
      events.push({ type: ev.type, reason: ev.reason, message: ev.message });
      return ev;
    },
  } as unknown as ApiClient;
  const sink = { enqueue: (f: () => Promise<unknown>) => void f() } as unknown as EventSink;
  const c = new ServiceLBController(client, inf as unknown as { services: Informer<never>; nodes: Informer<never> }, sink);
  c.queue.stop();
  return { c, writes, events, inf };
}

const flush = () => new Promise((r) => setTimeout(r, 10));

describe('service load-balancer controller', () => {
  it('uses the InternalIPs of Ready, schedulable, not excluded nodes, numerically sorted', () => {
    const nodes = [
      node('a', '10.0.0.10'),
      node('b', '10.0.0.9'),
      node('c', '10.0.0.3', { ready: false }),
      node('d', '10.0.0.4', { unschedulable: true }),
      node('e', '10.0.0.5', { labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } }),
      node('f', undefined),
    ];
    expect(loadBalancerAddresses(nodes)).toEqual(['10.0.0.9', '10.0.0.10']);
    expect(planLoadBalancer(svc('x', { type: 'LoadBalancer' }), nodes)).toEqual({ ingress: [{ ip: '10.0.0.9', ipMode: 'VIP' }, { ip: '10.0.0.10', ipMode: 'VIP' }] });
  });

  it('takes Services without a class or with tskube.io/svclb, not other classes or types', () => {
    expect(isOurLoadBalancer(svc('x', { type: 'LoadBalancer' }))).toBe(true);
    expect(isOurLoadBalancer(svc('x', { type: 'LoadBalancer', loadBalancerClass: 'tskube.io/svclb' }))).toBe(true);
    expect(isOurLoadBalancer(svc('x', { type: 'LoadBalancer', loadBalancerClass: 'example.com/metal' }))).toBe(false);
    expect(isOurLoadBalancer(svc('x', { type: 'NodePort' }))).toBe(false);
  });

  it('honours a loadBalancerIP that is a node address and refuses any other', () => {
    const nodes = [node('a', '10.0.0.1'), node('b', '10.0.0.2')];
    expect(planLoadBalancer(svc('x', { type: 'LoadBalancer', loadBalancerIP: '10.0.0.2' }), nodes)).toEqual({ ingress: [{ ip: '10.0.0.2', ipMode: 'VIP' }] });
    const refused = planLoadBalancer(svc('x', { type: 'LoadBalancer', loadBalancerIP: '192.0.2.7' }), nodes);
    expect(refused.ingress).toEqual([]);
    expect(refused.problem).toEqual({ reason: 'SyncLoadBalancerFailed', message: expect.stringContaining('spec.loadBalancerIP 192.0.2.7 is not the InternalIP of a Ready, schedulable node (available: 10.0.0.1, 10.0.0.2)') });
    expect(planLoadBalancer(svc('x', { type: 'LoadBalancer' }), [node('a', '10.0.0.1', { ready: false })]).problem?.reason).toBe('UnAvailableLoadBalancer');
  });

  it('writes the status once with EnsuringLoadBalancer and EnsuredLoadBalancer, then UpdatedLoadBalancer when nodes change', async () => {
    const { c, writes, events, inf } = setup([svc('web', { type: 'LoadBalancer' }), svc('other', { type: 'LoadBalancer', loadBalancerClass: 'example.com/metal' }), svc('plain', { type: 'ClusterIP' })], [node('a', '10.0.0.1')]);
    for (const k of ['default/web', 'default/other', 'default/plain']) await c.sync(k);
    await flush();
    expect(writes).toEqual([{ name: 'web', status: { loadBalancer: { ingress: [{ ip: '10.0.0.1', ipMode: 'VIP' }] } } }]);
    expect(events.map((e) => e.reason)).toEqual(['EnsuringLoadBalancer', 'EnsuredLoadBalancer']);
    // Nothing to do when the status is already right (the fake client put it in the informer).
    await c.sync('default/web');
    expect(writes).toHaveLength(1);
    // A second node joins.
    inf.nodes.items.set('b', node('b', '10.0.0.2'));
    await c.sync('default/web');
    await flush();
    expect(writes[1]!.status?.loadBalancer?.ingress?.map((i) => i.ip)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(events.at(-1)!.reason).toBe('UpdatedLoadBalancer');
  });

  it('empties the status with a Warning when no node is available, reported once', async () => {
    const { c, writes, events } = setup([svc('web', { type: 'LoadBalancer' }, { loadBalancer: { ingress: [{ ip: '10.0.0.1', ipMode: 'VIP' }] } })], [node('a', '10.0.0.1', { ready: false })]);
    await c.sync('default/web');
    await c.sync('default/web');
    await flush();
    expect(writes).toEqual([{ name: 'web', status: { loadBalancer: {} } }]);
    expect(events).toEqual([{ type: 'Warning', reason: 'UnAvailableLoadBalancer', message: 'There are no available nodes for LoadBalancer' }]);
  });

  it('clears the ingress of a Service whose type changed away from LoadBalancer, not that of another class', async () => {
    const st = { loadBalancer: { ingress: [{ ip: '10.0.0.1', ipMode: 'VIP' }] } };
    const { c, writes, events } = setup([svc('was', { type: 'NodePort' }, st), svc('theirs', { type: 'LoadBalancer', loadBalancerClass: 'example.com/metal' }, st)], [node('a', '10.0.0.1')]);
    await c.sync('default/was');
    await c.sync('default/theirs');
    await flush();
    expect(writes).toEqual([{ name: 'was', status: { loadBalancer: {} } }]);
    expect(events.map((e) => e.reason)).toEqual(['DeletingLoadBalancer', 'DeletedLoadBalancer']);
  });
});
