// The RBAC authorizer (plugin/pkg/auth/authorizer/rbac): a request is allowed when a binding
// naming the user, one of its groups or its service account grants a role with a rule that
// allows it; ClusterRoleBindings count everywhere, RoleBindings in their own namespace. It never
// denies outright (no opinion): the reasons it gives on refusal are only the bindings it could
// not resolve (a role that does not exist). Rules come from the in-memory PolicyIndex.
import type { PolicyRule, Subject } from '../../api/types.js';
import type { UserInfo } from '../registry/request-types.js';
import { subjectMatches, type IndexedBinding, type PolicyIndex } from './policy-index.js';
import { ruleAllows, type RequestAttributes } from './rule-match.js';

export interface RbacDecision {
  allowed: boolean;
  /** `RBAC: allowed by ...` when allowed; on refusal the resolution errors, if any (else ""). */
  reason: string;
}

function describeSubject(s: Subject, bindingNamespace: string | undefined): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} "${s.name}/${s.namespace || bindingNamespace || ''}"`;
  return `${s.kind} "${s.name}"`;
}

/** `RoleBinding "view-alice/a" of ClusterRole "view" to User "alice"`, as Kubernetes describes the source of a grant. */
function describe(b: IndexedBinding, s: Subject): string {
  const name = b.kind === 'RoleBinding' ? `${b.name}/${b.namespace}` : b.name;
  return `${b.kind} "${name}" of ${b.roleRef.kind} "${b.roleRef.name}" to ${describeSubject(s, b.namespace)}`;
}

export class RbacAuthorizer {
  constructor(private readonly index: PolicyIndex) {}

  /**
   * Calls `visit` with every rule granted to the user in `namespace` (cluster-wide grants first)
   * and with each binding it could not resolve; stops when `visit` returns false.
   */
  private visitRules(user: UserInfo, namespace: string | undefined, visit: (rule: PolicyRule | undefined, source: () => string, error?: string) => boolean): void {
    for (const b of this.index.bindingsFor(user, namespace)) {
      const subject = b.subjects.find((s) => subjectMatches(s, b.namespace, user));
      if (!subject) continue;
      const rules = this.index.roleRules(b.roleRef, b.namespace);
      if ('error' in rules) {
        if (!visit(undefined, () => describe(b, subject), rules.error)) return;
        continue;
      }
      for (const r of rules) if (!visit(r, () => describe(b, subject))) return;
    }
  }

  authorize(user: UserInfo, a: RequestAttributes): RbacDecision {
    let allowedBy: string | undefined;
    const errors: string[] = [];
    // Non-resource URLs are cluster-wide: only ClusterRoleBindings grant them.
    const namespace = a.resourceRequest ? a.namespace : undefined;
    this.visitRules(user, namespace, (rule, source, error) => {
      if (error) errors.push(error);
      if (rule && ruleAllows(a, rule)) {
        allowedBy = source();
        return false;
      }
      return true;
    });
    if (allowedBy) return { allowed: true, reason: `RBAC: allowed by ${allowedBy}` };
    return { allowed: false, reason: errors.length ? `RBAC: ${errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`}` : '' };
  }

  /** Every rule granted to the user in `namespace` (ClusterRoleBindings' included), and the bindings that could not be resolved. */
  rulesFor(user: UserInfo, namespace: string | undefined): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    this.visitRules(user, namespace, (rule, _source, error) => {
      if (error) errors.push(error);
      if (rule) rules.push(rule);
      return true;
    });
    return { rules, errors };
  }
}
