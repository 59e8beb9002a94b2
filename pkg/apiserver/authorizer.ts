// The apiserver's authorizer, as kube-apiserver chains its own: the fixed rules first (authz.ts:
// system:masters and the controller manager, the scheduler, nodes), then RBAC. A request the
// fixed rules refuse is still allowed when a binding grants it; a refusal carries the reasons
// both gave, joined by a newline as Kubernetes' union authorizer joins them. Non-resource
// requests (/api, /healthz, /metrics, ...) are allowed for superusers and otherwise only by
// RBAC's nonResourceURLs.
import type { KubeObject, PolicyRule } from '../api/types.js';
import { authorize as fixedRules, isSuperuser, nodeNameOf, type Attributes, type Decision, type IngressTLSRefs, type PodsOnNode } from './authz.js';
import type { UserInfo } from './registry/request-types.js';
import type { RbacAuthorizer } from './rbac/rbac-authorizer.js';

export type { Attributes, Decision } from './authz.js';

/** SubjectRulesReviewStatus: what a user may do in a namespace, as far as the authorizers can tell. */
export interface SubjectRules {
  resourceRules: { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }[];
  nonResourceRules: { verbs: string[]; nonResourceURLs?: string[] }[];
  incomplete: boolean;
  evaluationError?: string;
}

export interface Authorizer {
  /** A resource request; `load` fetches its object for the rules that depend on it (a pod's node). */
  authorize(user: UserInfo, a: Attributes, load?: () => Promise<KubeObject | undefined>): Promise<Decision>;
  /** A non-resource request: its lower-case HTTP method and path. */
  authorizePath(user: UserInfo, verb: string, path: string): Decision;
  /** The rules a user holds in a namespace (SelfSubjectRulesReview, kubectl auth can-i --list). */
  rulesFor(user: UserInfo, namespace: string): SubjectRules;
}

const everything: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

const joinReasons = (...reasons: string[]) => reasons.filter(Boolean).join('\n');

export class ChainAuthorizer implements Authorizer {
  constructor(
    private readonly rbac: RbacAuthorizer,
    private readonly podsOnNode: PodsOnNode,
    /** The TLS Secrets of Ingresses the nodes' ingress controllers serve (the node rule's exception). */
    private readonly ingressTLS?: IngressTLSRefs,
  ) {}

  async authorize(user: UserInfo, a: Attributes, load: () => Promise<KubeObject | undefined> = async () => undefined): Promise<Decision> {
    const fixed = await fixedRules(user, a, load, this.podsOnNode, this.ingressTLS);
    if (fixed.allowed) return fixed;
    const r = this.rbac.authorize(user, { resourceRequest: true, ...a });
    return r.allowed ? { allowed: true, reason: r.reason } : { allowed: false, reason: joinReasons(fixed.reason, r.reason) };
  }

  authorizePath(user: UserInfo, verb: string, path: string): Decision {
    if (isSuperuser(user)) return { allowed: true };
    const r = this.rbac.authorize(user, { resourceRequest: false, verb, path });
    return r.allowed ? { allowed: true, reason: r.reason } : { allowed: false, reason: r.reason };
  }

  rulesFor(user: UserInfo, namespace: string): SubjectRules {
    const out: SubjectRules = { resourceRules: [], nonResourceRules: [], incomplete: false };
    const errors: string[] = [];
    // system:masters holds its power through the cluster-admin binding (as in Kubernetes, where
    // the superuser authorizer lists no rules); the controller manager's is fixed here.
    let rules: PolicyRule[] = user.name === 'system:kube-controller-manager' ? [...everything] : [];
    if (nodeNameOf(user)) {
      out.incomplete = true;
      errors.push('node authorizer does not support user rule resolution');
    } else if (user.name === 'system:kube-scheduler') {
      out.incomplete = true;
      errors.push('scheduler authorizer does not support user rule resolution');
    }
    const granted = this.rbac.rulesFor(user, namespace);
    rules = [...rules, ...granted.rules];
    errors.push(...granted.errors);
    for (const r of rules) {
      if (r.resources?.length) out.resourceRules.push({ verbs: r.verbs ?? [], apiGroups: r.apiGroups, resources: r.resources, ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}) });
      if (r.nonResourceURLs?.length) out.nonResourceRules.push({ verbs: r.verbs ?? [], nonResourceURLs: r.nonResourceURLs });
    }
    if (errors.length) out.evaluationError = errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
    return out;
  }
}
