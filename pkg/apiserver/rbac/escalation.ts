// Escalation prevention, as Kubernetes' RBAC registry does it (pkg/registry/rbac/*/policybased):
// - a Role or ClusterRole may be written only with rules its writer already holds (in that
//   namespace, or cluster-wide for a ClusterRole), unless the writer may `escalate` roles or
//   clusterroles; an aggregationRule (which can gather anything) needs full authority;
// - a binding may be written only to a role whose rules its writer already holds, unless the
//   writer may `bind` that role;
// - system:masters is exempt, and a write that only changes what the garbage collector changes
//   (ownerReferences, finalizers) is never refused.
// Refusals are 403 with Kubernetes' message, listing the rules not held.
import type { ClusterRole, KubeObject, PolicyRule, RoleRef } from '../../api/types.js';
import { RBAC_GROUP } from '../../api/validation-rbac.js';
import type { Authorizer } from '../authorizer.js';
import * as errors from '../errors.js';
import type { RequestContext, UserInfo } from '../registry/request-types.js';
import { compactRules, compactString, covers, goQuoted } from './policy-compare.js';
import type { PolicyResource } from './policy-index.js';
import type { RbacAuthorizer } from './rbac-authorizer.js';

export interface EscalationDeps {
  authorizer: Authorizer;
  rbac: RbacAuthorizer;
  /** The rules of a role, read fresh (the binding may name a role created a moment ago); undefined when it does not exist. */
  roleRules(ref: RoleRef, namespace: string | undefined): Promise<PolicyRule[] | undefined>;
  /** Resolves once the in-memory policy reflects this apiserver's latest RBAC writes. */
  settle(): Promise<void>;
}

/** What only an `*` on everything covers: the bar for writing an aggregationRule. */
const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

const isPrivileged = (user: UserInfo) => user.groups.includes('system:masters');

/** IsOnlyMutatingGCFields: obj equals old once its ownerReferences, finalizers and server-kept metadata are old's. */
function onlyGCFields(obj: KubeObject, old: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { ownerReferences: _o, finalizers: _f, managedFields: _m, resourceVersion: _r, generation: _g, ...meta } = o.metadata ?? {};
    return JSON.stringify({ ...o, metadata: meta });
  };
  return strip(obj) === strip(old);
}

/**
 * ConfirmNoEscalation: the user's rules in `namespace` (or cluster-wide) must cover `rules`;
 * else the 403 Kubernetes gives, with the missing rules compacted and sorted.
 */
async function confirmNoEscalation(deps: EscalationDeps, user: UserInfo, namespace: string | undefined, rules: PolicyRule[], refuse: (why: string) => errors.ApiError): Promise<void> {
  await deps.settle();
  const owned = deps.rbac.rulesFor(user, namespace);
  const { covered, missing } = covers(owned.rules, rules);
  if (covered) return;
  const lines = [...new Set(compactRules(missing).map(compactString))].sort();
  let msg = `user "${user.name}" (groups=${goQuoted(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
  if (owned.errors.length) msg += `; resolution errors: [${owned.errors.join(' ')}]`;
  throw refuse(msg);
}

const allowed = async (deps: EscalationDeps, user: UserInfo, verb: string, resource: string, namespace: string | undefined, name: string | undefined) =>
  (await deps.authorizer.authorize(user, { verb, group: RBAC_GROUP, resource, namespace, name })).allowed;

/**
 * The admission check of one RBAC write (`old` set for an update), run after validation and
 * before the object is stored.
 */
export async function checkEscalation(deps: EscalationDeps, resource: PolicyResource, obj: KubeObject, old: KubeObject | undefined, ctx: RequestContext): Promise<void> {
  const user = ctx.user;
  if (isPrivileged(user)) return;
  const name = obj.metadata?.name ?? '';
  const namespace = resource === 'roles' || resource === 'rolebindings' ? obj.metadata?.namespace : undefined;
  const refuse = (why: string) => errors.admissionForbidden(RBAC_GROUP, resource, name, why);
  if (resource === 'roles' || resource === 'clusterroles') {
    // The escalate verb is asked about the request's own name: none for a create.
    if (await allowed(deps, user, 'escalate', resource, namespace, old ? name : undefined)) return;
    if (old && onlyGCFields(obj, old)) return;
    await confirmNoEscalation(deps, user, namespace, (obj as { rules?: PolicyRule[] }).rules ?? [], refuse);
    if (resource === 'clusterroles' && ((obj as ClusterRole).aggregationRule || (old as ClusterRole | undefined)?.aggregationRule)) {
      await confirmNoEscalation(deps, user, undefined, FULL_AUTHORITY, () => refuse('must have cluster-admin privileges to use the aggregationRule'));
    }
    return;
  }
  if (old && onlyGCFields(obj, old)) return;
  const ref = (obj as { roleRef?: RoleRef }).roleRef ?? {};
  const roleResource = ref.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
  if (await allowed(deps, user, 'bind', roleResource, namespace, ref.name)) return;
  const rules = await deps.roleRules(ref, namespace);
  if (!rules) throw refuse(`${roleResource}.${RBAC_GROUP} "${ref.name}" not found`);
  await confirmNoEscalation(deps, user, namespace, rules, refuse);
}
