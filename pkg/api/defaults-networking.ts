// Defaults of networking.k8s.io/v1 NetworkPolicy (SetDefaults_NetworkPolicy and
// SetDefaults_NetworkPolicyPort): a missing podSelector is the empty one (all pods: Go's
// non-pointer struct), ports default to TCP, and policyTypes to Ingress plus Egress when egress
// rules are given.
import type { NetworkPolicy } from './types.js';

export function defaultNetworkPolicy(np: NetworkPolicy): void {
  const spec = (np.spec ??= {});
  spec.podSelector ??= {};
  for (const rule of [...(spec.ingress ?? []), ...(spec.egress ?? [])]) {
    for (const p of rule.ports ?? []) p.protocol ||= 'TCP';
  }
  if (!spec.policyTypes?.length) {
    spec.policyTypes = ['Ingress'];
    if (spec.egress?.length) spec.policyTypes.push('Egress');
  }
}
