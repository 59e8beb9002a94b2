// Defaults of networking.k8s.io/v1 kinds.
import type { IngressClass, NetworkPolicy } from './types.js';

// Defaults of networking.k8s.io/v1 NetworkPolicy (SetDefaults_NetworkPolicy and
// SetDefaults_NetworkPolicyPort): a missing podSelector is the empty one (all pods: Go's
// non-pointer struct), ports default to TCP, and policyTypes to Ingress plus Egress when egress
// rules are given.

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

// networking.k8s.io/v1 defaults (SetDefaults_IngressClass): a parameters reference is cluster
// scoped unless it says otherwise. Ingresses have none; their class comes from admission.

export function defaultIngressClassObject(c: IngressClass): IngressClass {
  const p = c.spec?.parameters;
  if (p && p.scope === undefined) p.scope = 'Cluster';
  return c;
}
