// kube-system/kube-dns as kubeadm's CoreDNS addon makes it, and the endpoint a node's service
// proxy gives it: the node's own cluster DNS.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.js';
import { StatusError } from '../client/rest-client.js';
import { servicePorts } from '../network/service-model.js';
import type { ServiceLike } from '../network/service-types.js';
import { clusterDNSIP, ensureKubeDnsService, kubeDnsService, localDNSEndpointSlice } from './kube-dns-service.js';

describe('kube-dns Service', () => {
  it('takes the tenth address of the service subnet, as kubeadm GetDNSIP', () => {
    expect(clusterDNSIP('10.96.0.0/16')).toBe('10.96.0.10');
    expect(clusterDNSIP('10.96.0.0/12')).toBe('10.96.0.10');
    expect(clusterDNSIP('172.20.0.0/24')).toBe('172.20.0.10');
    expect(() => clusterDNSIP('10.96.0.0/29')).toThrow(/service subnet CIDR 10\.96\.0\.0\/29/);
  });

  it('is kubeadm\'s CoreDNSService manifest', () => {
    expect(kubeDnsService('10.96.0.0/16')).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'kube-dns',
        namespace: 'kube-system',
        labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
        annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
      },
      spec: {
        clusterIP: '10.96.0.10',
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
          { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
        ],
        selector: { 'k8s-app': 'kube-dns' },
      },
    });
  });

  it('is created once; an existing one is left alone', async () => {
    const made: KubeObject[] = [];
    const client = {
      create: async (_ref: unknown, _ns: string | undefined, o: KubeObject) => {
        if (made.length) throw new StatusError(409, { reason: 'AlreadyExists' }, 'services "kube-dns" already exists');
        made.push(o);
        return o;
      },
    };
    expect(await ensureKubeDnsService(client as never, '10.96.0.0/16')).toBe(true);
    expect(await ensureKubeDnsService(client as never, '10.96.0.0/16')).toBe(false);
    expect(made.map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`)).toEqual(['kube-system/kube-dns']);
  });

  it('goes to the node\'s own DNS on its dns and dns-tcp ports through the local slice', () => {
    const svc = kubeDnsService('10.96.0.0/16') as unknown as ServiceLike;
    const ports = servicePorts([svc], [localDNSEndpointSlice('10.244.0.1', 'node-1')], 'node-1');
    const byId = Object.fromEntries(ports.map((p) => [`${p.id}/${p.protocol}`, p]));
    expect(byId['kube-system/kube-dns:dns/UDP']).toMatchObject({ clusterIP: '10.96.0.10', port: 53, endpoints: [{ ip: '10.244.0.1', port: 53 }], localEndpoints: [{ ip: '10.244.0.1', port: 53 }] });
    expect(byId['kube-system/kube-dns:dns-tcp/TCP']).toMatchObject({ clusterIP: '10.96.0.10', port: 53, endpoints: [{ ip: '10.244.0.1', port: 53 }] });
    // (without CoreDNS's metrics served: rejected, as a port without endpoints)
    expect(byId['kube-system/kube-dns:metrics/TCP']).toMatchObject({ port: 9153, endpoints: [] });
  });

  it('goes to the metrics the node serves beside its DNS on the metrics port', () => {
    const svc = kubeDnsService('10.96.0.0/16') as unknown as ServiceLike;
    const ports = servicePorts([svc], [localDNSEndpointSlice('10.244.0.1', 'node-1', 9153)], 'node-1');
    const byId = Object.fromEntries(ports.map((p) => [`${p.id}/${p.protocol}`, p]));
    expect(byId['kube-system/kube-dns:metrics/TCP']).toMatchObject({ clusterIP: '10.96.0.10', port: 9153, endpoints: [{ ip: '10.244.0.1', port: 9153 }] });
    expect(byId['kube-system/kube-dns:dns/UDP']).toMatchObject({ endpoints: [{ ip: '10.244.0.1', port: 53 }] });
  });
});
