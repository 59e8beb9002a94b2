// kube-dns's endpoints over the nodes that serve the cluster DNS (node-dns.ts).
import { describe, expect, it } from 'vitest';
import type { Node, Pod, Service } from '../api/types.js';
import { NODE_DNS_ADDRESS } from '../dns/kube-dns-service.js';
import { desiredSubsets } from './endpoints.js';
import { desiredSlices } from './endpointslice.js';
import { dnsNodes, isNodeDNSService } from './node-dns.js';

const kubeDns = (spec: Partial<Service['spec']> = {}, ns = 'kube-system'): Service => ({
  metadata: { name: 'kube-dns', namespace: ns, uid: 'svc' },
  spec: { selector: { 'k8s-app': 'kube-dns' }, ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }, { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 }, { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 }], ...spec },
});
function node(name: string, address: string | undefined, ready: boolean): Node {
  return {
    metadata: { name, uid: `uid-${name}`, ...(address !== undefined ? { annotations: { [NODE_DNS_ADDRESS]: address } } : {}) },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'Unknown', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
  };
}

describe('kube-dns endpoints from the nodes serving the cluster DNS', () => {
  it('takes the nodes with an IPv4 DNS address, in name order', () => {
    const nodes = dnsNodes([node('b', '10.244.1.1', false), node('a', '10.244.0.1', true), node('c', undefined, true), node('d', 'not-an-ip', true), node('e', '', true)]);
    expect(nodes.map((n) => [n.nodeName, n.ip, n.ready])).toEqual([['a', '10.244.0.1', true], ['b', '10.244.1.1', false]]);
    expect(nodes[0]!.targetRef).toEqual({ kind: 'Node', name: 'a', uid: 'uid-a' });
  });

  it('only kube-system/kube-dns with a selector', () => {
    expect(isNodeDNSService(kubeDns())).toBe(true);
    expect(isNodeDNSService(kubeDns({}, 'default'))).toBe(false);
    expect(isNodeDNSService(kubeDns({ selector: {} }))).toBe(false);
    expect(isNodeDNSService({ ...kubeDns(), metadata: { name: 'coredns', namespace: 'kube-system' } })).toBe(false);
  });

  it('resolves named target ports as CoreDNS\'s container names them; others leave the node out of Endpoints', () => {
    const svc = kubeDns({ ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 'dns' }, { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 'metrics' }, { name: 'probe', port: 8080, protocol: 'TCP', targetPort: 'readiness-probe' }] });
    const dns = dnsNodes([node('a', '10.244.0.1', true), node('b', '10.244.1.1', false)]);
    expect(desiredSubsets(svc, [], dns)).toEqual([
      {
        ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'metrics', port: 9153, protocol: 'TCP' }],
        addresses: [{ ip: '10.244.0.1', nodeName: 'a', targetRef: { kind: 'Node', name: 'a', uid: 'uid-a' } }],
        notReadyAddresses: [{ ip: '10.244.1.1', nodeName: 'b', targetRef: { kind: 'Node', name: 'b', uid: 'uid-b' } }],
      },
    ]);
    expect(desiredSlices(svc, [], dns)).toEqual([
      {
        ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'metrics', port: 9153, protocol: 'TCP' }],
        endpoints: [
          { addresses: ['10.244.0.1'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'a', targetRef: { kind: 'Node', name: 'a', uid: 'uid-a' } },
          { addresses: ['10.244.1.1'], conditions: { ready: false, serving: false, terminating: false }, nodeName: 'b', targetRef: { kind: 'Node', name: 'b', uid: 'uid-b' } },
        ],
      },
    ]);
  });

  it('lists the pods the selector matches beside the nodes; publishNotReadyAddresses makes every node ready', () => {
    const pod: Pod = { metadata: { name: 'coredns-1', namespace: 'kube-system', uid: 'p1', labels: { 'k8s-app': 'kube-dns' } }, spec: { nodeName: 'a', containers: [{ name: 'coredns' }] }, status: { phase: 'Running', podIP: '10.244.0.7', conditions: [{ type: 'Ready', status: 'True' }] } };
    const dns = dnsNodes([node('b', '10.244.1.1', false)]);
    const subsets = desiredSubsets(kubeDns(), [pod], dns);
    expect(subsets).toHaveLength(1);
    expect(subsets[0]!.addresses!.map((a) => [a.ip, a.targetRef?.kind])).toEqual([['10.244.0.7', 'Pod']]);
    expect(subsets[0]!.notReadyAddresses!.map((a) => [a.ip, a.targetRef?.kind])).toEqual([['10.244.1.1', 'Node']]);
    const slices = desiredSlices(kubeDns({ publishNotReadyAddresses: true }), [pod], dns);
    expect(slices).toHaveLength(1);
    expect(slices[0]!.endpoints.map((e) => [e.addresses?.[0], e.conditions])).toEqual([
      ['10.244.0.7', { ready: true, serving: true, terminating: false }],
      ['10.244.1.1', { ready: true, serving: false, terminating: false }],
    ]);
  });
});
