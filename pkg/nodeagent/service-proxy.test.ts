import { describe, expect, it, vi } from 'vitest';
import type { EndpointSlice, Event, KubeObject, Service } from '../api/types.js';
import { validateEvent } from '../api/validation-event.js';
import type { Informer } from '../client/informer.js';
import { kubeDnsService } from '../dns/kube-dns-service.js';
import { kubeProxyStarting, NodeServiceProxy } from './service-proxy.js';

/** An informer that has listed `items` and never changes. */
function listed<T>(items: T[]): Informer<T> {
  return { on: () => {}, hasSynced: async () => {}, list: () => items } as unknown as Informer<T>;
}

describe('node service proxy and the cluster DNS', () => {
  const services = listed<Service & KubeObject>([kubeDnsService('10.96.0.0/16')]);
  // (the endpoints controller's slice of kube-dns: no pod matches k8s-app=kube-dns)
  const slices = listed<EndpointSlice & KubeObject>([
    { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'kube-dns-abcde', namespace: 'kube-system', labels: { 'kubernetes.io/service-name': 'kube-dns' } }, addressType: 'IPv4', endpoints: [] } as unknown as EndpointSlice & KubeObject,
  ]);

  async function started(localDNS?: { address: string; metricsPort?: number }) {
    const p = new NodeServiceProxy({ services, slices }, { clusterCIDR: '10.244.0.0/16', nodeName: 'node-1', resyncMs: 0 }, undefined, localDNS);
    vi.spyOn(p.proxier, 'syncNow').mockResolvedValue({ applied: true, servicePorts: 0, staleChains: [], conntrackDeleted: 0 });
    await p.start();
    return p;
  }

  it('sends kube-dns\'s dns and dns-tcp ports to the DNS the node serves', async () => {
    const p = await started({ address: '10.244.0.1' });
    const dns = p.proxier.ports().filter((x) => x.service.name === 'kube-dns' && x.port === 53);
    expect(dns.map((x) => [x.protocol, x.clusterIP, x.endpoints])).toEqual([
      ['UDP', '10.96.0.10', [{ ip: '10.244.0.1', port: 53 }]],
      ['TCP', '10.96.0.10', [{ ip: '10.244.0.1', port: 53 }]],
    ]);
    await p.stop();
  });

  it('sends kube-dns\'s metrics port to the DNS\'s metrics when the node serves them, and rejects it when not', async () => {
    const metricsOf = (p: NodeServiceProxy) => p.proxier.ports().filter((x) => x.service.name === 'kube-dns' && x.port === 9153).map((x) => [x.protocol, x.clusterIP, x.endpoints]);
    const served = await started({ address: '10.244.0.1', metricsPort: 9153 });
    expect(metricsOf(served)).toEqual([['TCP', '10.96.0.10', [{ ip: '10.244.0.1', port: 9153 }]]]);
    await served.stop();
    const unserved = await started({ address: '10.244.0.1' });
    expect(metricsOf(unserved)).toEqual([['TCP', '10.96.0.10', []]]);
    await unserved.stop();
  });

  it('leaves kube-dns without endpoints when the node serves no DNS', async () => {
    const p = await started(undefined);
    expect(p.proxier.ports().filter((x) => x.service.name === 'kube-dns').every((x) => x.endpoints.length === 0)).toBe(true);
    await p.stop();
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
