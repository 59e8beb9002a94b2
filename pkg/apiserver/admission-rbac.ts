// RBAC escalation prevention as a validating admission plugin on roles, cluster roles and their
// bindings (Kubernetes does it in the RBAC registry; here it rides the same admission chain as
// every other check of a write): see rbac/escalation.ts for what is refused and why.
import type { AdmissionPlugin } from './admission.js';
import { checkEscalation, type EscalationDeps } from './rbac/escalation.js';
import { POLICY_RESOURCES, type PolicyResource } from './rbac/policy-index.js';

export function rbacEscalationAdmission(deps: EscalationDeps): AdmissionPlugin {
  return {
    name: 'RBACEscalation',
    resources: POLICY_RESOURCES,
    async validate(req) {
      if (req.operation === 'DELETE' || !req.obj || req.subresource) return;
      await checkEscalation(deps, req.resource.name as PolicyResource, req.obj, req.old, req.ctx);
    },
  };
}
