// The agent serves the cluster DNS (the role CoreDNS plays: each node answers kube-dns on its own
// bridge) whatever addresses its pods are given: a node that joined with kubeadm's kubelet-config
// (clusterDNS: [10.96.0.10]) must keep answering behind kube-dns as the first node does. Only
// --cluster-dns none serves nothing.
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../client/api-client.js';
import { defaultAgentConfig, servesClusterDNS } from './agent-config.js';
import { loadKubeletConfigFile } from './kubelet-config-file.js';
import { NodeAgent } from './agent.js';

const agentWith = (clusterDNS: 'serve' | 'none' | string[]) => new NodeAgent({} as ApiClient, { ...defaultAgentConfig('n1'), dataDir: '/nonexistent/agent', clusterDNS });
/** The informers the cluster DNS is fed by (EndpointSlices for its records, Namespaces for NXDOMAIN vs NODATA). */
const dnsInformers = (a: NodeAgent) => {
  const x = a as unknown as { sliceInformer?: unknown; namespaceInformer?: unknown };
  return { slices: !!x.sliceInformer, namespaces: !!x.namespaceInformer };
};

describe('which agents serve the cluster DNS', () => {
  it("kubeadm's clusterDNS list (the kube-dns address) still serves it; 'none' does not", () => {
    const file = loadKubeletConfigFile('/c.yaml', () => 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nclusterDNS:\n- 10.96.0.10\n');
    const list = String(file.flags['cluster-dns']).split(',');
    expect(list).toEqual(['10.96.0.10']);
    expect(servesClusterDNS({ clusterDNS: list })).toBe(true);
    expect(dnsInformers(agentWith(list))).toEqual({ slices: true, namespaces: true });
    expect(dnsInformers(agentWith('serve'))).toEqual({ slices: true, namespaces: true });
    expect(servesClusterDNS({ clusterDNS: 'none' })).toBe(false);
    expect(dnsInformers(agentWith('none')).namespaces).toBe(false);
  });
});
