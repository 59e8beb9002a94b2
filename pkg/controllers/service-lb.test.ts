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
  const finalizerWrites: { name: string; finalizers: string[] | null }[] = [];
  const inf = { services: new StaticInformer(services), nodes: new StaticInformer(nodes) };
  const events: { reason: string; type: string; message: string }[] = [];
  const client = {
    async patch(_ref: unknown, _ns: string, name: string, p: { metadata: { finalizers: string[] | null } }, type: string) {
      expect(type).toBe('merge');
      finalizerWrites.push({ name, finalizers: p.metadata.finalizers });
      const cur = inf.services.items.get(`default/${name}`)!;
      const next = { ...cur, metadata: { ...cur.metadata, finalizers: p.metadata.finalizers ?? undefined } };
      inf.services.items.set(`default/${name}`, next);
      return next;
    },
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
  return { c, writes, events, inf, finalizerWrites };
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
    // (the first pass puts the cleanup finalizer on web; its update brings web back)
    for (let pass = 0; pass < 2; pass++) for (const k of ['default/web', 'default/other', 'default/plain']) await c.sync(k);
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

  it('puts the service controller\'s cleanup finalizer on our LoadBalancer Services first, and takes it off a deleted one with Deleting and Deleted events', async () => {
    const { c, writes, events, inf, finalizerWrites } = setup([svc('web', { type: 'LoadBalancer' }), svc('other', { type: 'LoadBalancer', loadBalancerClass: 'example.com/metal' }), svc('plain', { type: 'ClusterIP' })], [node('a', '10.0.0.1')]);
    for (const k of ['default/web', 'default/other', 'default/plain']) await c.sync(k);
    await flush();
    // the finalizer first, alone: the status and its events come with the next sync
    expect(finalizerWrites).toEqual([{ name: 'web', finalizers: ['service.kubernetes.io/load-balancer-cleanup'] }]);
    expect(writes).toHaveLength(0);
    expect(events).toEqual([]);
    await c.sync('default/web');
    await flush();
    expect(writes).toHaveLength(1);
    expect(finalizerWrites).toHaveLength(1);
    // kubectl delete: the apiserver sets deletionTimestamp and keeps the Service for the finalizer
    const web = inf.services.items.get('default/web')!;
    inf.services.items.set('default/web', { ...web, metadata: { ...web.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } });
    events.length = 0;
    await c.sync('default/web');
    await flush();
    expect(finalizerWrites.at(-1)).toEqual({ name: 'web', finalizers: null });
    expect(events.map((e) => e.reason)).toEqual(['DeletingLoadBalancer', 'DeletedLoadBalancer']);
    // a type change away from LoadBalancer takes the finalizer off too
    const { c: c2, finalizerWrites: f2 } = setup([svc('was', { type: 'ClusterIP' })], [node('a', '10.0.0.1')]);
    const was = svc('was', { type: 'ClusterIP' });
    await c2.sync('default/was');
    expect(f2).toEqual([]);
    const { c: c3, finalizerWrites: f3, events: e3 } = setup([{ ...was, metadata: { ...was.metadata, finalizers: ['service.kubernetes.io/load-balancer-cleanup', 'example.com/keep'] } }], [node('a', '10.0.0.1')]);
    await c3.sync('default/was');
    await flush();
    expect(f3).toEqual([{ name: 'was', finalizers: ['example.com/keep'] }]);
    expect(e3.map((e) => e.reason)).toEqual(['DeletedLoadBalancer']);
  });

  it('empties the status with a Warning when no node is available, reported once', async () => {
    const { c, writes, events } = setup([svc('web', { type: 'LoadBalancer' }, { loadBalancer: { ingress: [{ ip: '10.0.0.1', ipMode: 'VIP' }] } })], [node('a', '10.0.0.1', { ready: false })]);
    // (the first sync puts the cleanup finalizer on)
    await c.sync('default/web');
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
