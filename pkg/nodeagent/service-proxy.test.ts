import { describe, expect, it, vi } from 'vitest';
import type { EndpointSlice, Event, KubeObject, Service } from '../api/types.js';
import { validateEvent } from '../api/validation-event.js';
import type { Informer, InformerHandlers } from '../client/informer.js';
import { kubeDnsService } from '../dns/kube-dns-service.js';
import { kubeProxyStarting, NodeServiceProxy } from './service-proxy.js';

/** An informer that has listed `items` and never changes. */
function listed<T extends KubeObject>(items: T[]): Informer<T> {
  return { on: () => {}, hasSynced: async () => {}, list: () => items } as unknown as Informer<T>;
}

describe('node service proxy and the cluster DNS', () => {
  const services = listed<Service & KubeObject>([kubeDnsService('10.96.0.0/16')]);
  // (the endpoints controller's slice of kube-dns: every node serving the cluster DNS, this one's included)
  const storedDNS = (addresses: string[]) =>
    ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kube-dns-abcde', namespace: 'kube-system', labels: { 'kubernetes.io/service-name': 'kube-dns' } },
      addressType: 'IPv4',
      endpoints: addresses.map((a, i) => ({ addresses: [a], conditions: { ready: true, serving: true, terminating: false }, nodeName: `node-${i + 1}` })),
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        { name: 'metrics', port: 9153, protocol: 'TCP' },
      ],
    }) as unknown as EndpointSlice & KubeObject;
  const slices = listed<EndpointSlice & KubeObject>([storedDNS(['10.244.0.1', '10.244.1.1'])]);

  async function started(localDNS?: { address: string; metricsPort?: number }, src = { services, slices }) {
    const p = new NodeServiceProxy(src, { clusterCIDR: '10.244.0.0/16', nodeName: 'node-1', resyncMs: 0 }, undefined, localDNS);
    vi.spyOn(p.proxier, 'syncNow').mockResolvedValue({ applied: true, servicePorts: 0, staleChains: [], conntrackDeleted: 0 });
    await p.start();
    return p;
  }
  const endpointsOf = (p: NodeServiceProxy, port: number) => p.proxier.ports().filter((x) => x.service.name === 'kube-dns' && x.port === port).map((x) => [x.protocol, x.clusterIP, x.endpoints]);

  it('sends kube-dns\'s dns and dns-tcp ports to the DNS the node serves, and to no other node\'s', async () => {
    const p = await started({ address: '10.244.0.1' });
    expect(endpointsOf(p, 53)).toEqual([
      ['UDP', '10.96.0.10', [{ ip: '10.244.0.1', port: 53 }]],
      ['TCP', '10.96.0.10', [{ ip: '10.244.0.1', port: 53 }]],
    ]);
    await p.stop();
  });

  it('keeps kube-dns on the node\'s own DNS when the stored slices change', async () => {
    const handlers: InformerHandlers<EndpointSlice & KubeObject>[] = [];
    const live = { ...listed<EndpointSlice & KubeObject>([storedDNS(['10.244.0.1'])]), on: (h: InformerHandlers<EndpointSlice & KubeObject>) => handlers.push(h) } as unknown as Informer<EndpointSlice & KubeObject>;
    const p = await started({ address: '10.244.0.1' }, { services, slices: live });
    for (const h of handlers) h.update?.(storedDNS(['10.244.1.1', '10.244.2.1']), storedDNS(['10.244.0.1']));
    expect(endpointsOf(p, 53).map(([, , eps]) => eps)).toEqual([[{ ip: '10.244.0.1', port: 53 }], [{ ip: '10.244.0.1', port: 53 }]]);
    for (const h of handlers) h.delete?.(storedDNS(['10.244.1.1', '10.244.2.1']));
    expect(endpointsOf(p, 53).map(([, , eps]) => eps)).toEqual([[{ ip: '10.244.0.1', port: 53 }], [{ ip: '10.244.0.1', port: 53 }]]);
    await p.stop();
  });

  it('sends kube-dns\'s metrics port to the DNS\'s metrics when the node serves them, and rejects it when not', async () => {
    const served = await started({ address: '10.244.0.1', metricsPort: 9153 });
    expect(endpointsOf(served, 9153)).toEqual([['TCP', '10.96.0.10', [{ ip: '10.244.0.1', port: 9153 }]]]);
    await served.stop();
    const unserved = await started({ address: '10.244.0.1' });
    expect(endpointsOf(unserved, 9153)).toEqual([['TCP', '10.96.0.10', []]]);
    await unserved.stop();
  });

  it('sends kube-dns to the other nodes\' DNS its endpoints list when the node serves none', async () => {
    const p = await started(undefined, { services, slices: listed([storedDNS(['10.244.1.1'])]) });
    expect(endpointsOf(p, 53).map(([, , eps]) => eps)).toEqual([[{ ip: '10.244.1.1', port: 53 }], [{ ip: '10.244.1.1', port: 53 }]]);
    await p.stop();
    const none = await started(undefined, { services, slices: listed([storedDNS([])]) });
    expect(none.proxier.ports().filter((x) => x.service.name === 'kube-dns').every((x) => x.endpoints.length === 0)).toBe(true);
    await none.stop();
  });
});

describe('kube-proxy birth cry', () => {
  it('is the Starting event ProxyServer.birthCry records about its Node through events.k8s.io, which core/v1 validation takes', () => {
    const ev = kubeProxyStarting('node-1', 'host-a') as Event;
    expect(ev).toMatchObject({
      metadata: { namespace: 'default' },
      involvedObject: { kind: 'Node', name: 'node-1', uid: 'node-1' },
      reason: 'Starting',
      type: 'Normal',
      action: 'StartKubeProxy',
      reportingComponent: 'kube-proxy',
      reportingInstance: 'kube-proxy-host-a',
    });
    // (no note, and none of the legacy fields a core/v1 recorder writes)
    for (const f of ['message', 'source', 'count', 'firstTimestamp', 'lastTimestamp']) expect(ev).not.toHaveProperty(f);
    expect(ev.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(ev.metadata?.name).toMatch(/^node-1\.[0-9a-f]+$/);
    expect(validateEvent(ev)).toEqual([]);
  });
});
