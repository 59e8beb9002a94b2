// networking.k8s.io/v1 defaults (SetDefaults_IngressClass): a parameters reference is cluster
// scoped unless it says otherwise. Ingresses have none; their class comes from admission.
import type { IngressClass } from './types.js';

export function defaultIngressClassObject(c: IngressClass): IngressClass {
  const p = c.spec?.parameters;
  if (p && p.scope === undefined) p.scope = 'Cluster';
  return c;
}
