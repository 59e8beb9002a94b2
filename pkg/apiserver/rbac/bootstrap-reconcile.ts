// Reconciles the bootstrap policy on every apiserver start, as kube-apiserver's
// rbac/bootstrap-roles post-start hook does: a missing default is created; an existing one is
// left alone when annotated `rbac.authorization.kubernetes.io/autoupdate: "false"`, else it gets
// what it lacks (labels and annotations added, missing rules, aggregation selectors and subjects
// added, never removed); a binding whose roleRef differs is recreated (roleRef is immutable).
import type { ClusterRole as CR, ClusterRoleBinding as CRB, KubeObject, Subject } from '../../api/types.js';
import { logger } from '../../util/log.js';
import { ApiError, isNotFound } from '../errors.js';
import type { RequestContext } from '../registry/request-types.js';
import type { Store } from '../registry/store.js';
import { AUTOUPDATE_ANNOTATION, BOOTSTRAP_CLUSTER_ROLE_BINDINGS, BOOTSTRAP_CLUSTER_ROLES } from './bootstrap-policy.js';
import { systemClusterRoleBindings, systemClusterRoles, systemNamespacedRoleBindings, systemNamespacedRoles } from './bootstrap-system-roles.js';
import { covers } from './policy-compare.js';

const log = logger('rbac');

type ClusterRole = CR & KubeObject;
type ClusterRoleBinding = CRB & KubeObject;

const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

/** Labels and annotations of `expected` added to `existing`'s (existing values win, as in Kubernetes' merge). */
function mergeMeta(existing: KubeObject, expected: KubeObject): void {
  const m = (existing.metadata ??= {});
  for (const [k, v] of Object.entries(expected.metadata?.labels ?? {})) if (!(k in (m.labels ??= {}))) m.labels[k] = v;
  for (const [k, v] of Object.entries(expected.metadata?.annotations ?? {})) if (!(k in (m.annotations ??= {}))) m.annotations[k] = v;
}

/** The role with what the default has and it lacks; undefined when nothing is missing. */
export function reconcileRole(existing: ClusterRole, expected: ClusterRole): ClusterRole | undefined {
  const next = clone(existing);
  mergeMeta(next, expected);
  // Aggregated roles get their rules from the aggregation controller, not from here.
  if (!(expected.aggregationRule && existing.aggregationRule)) {
    const { missing } = covers(existing.rules ?? [], expected.rules ?? []);
    if (missing.length) next.rules = [...(existing.rules ?? []), ...missing];
  }
  if (!expected.aggregationRule && existing.aggregationRule) delete next.aggregationRule;
  else if (expected.aggregationRule) {
    const have = existing.aggregationRule?.clusterRoleSelectors ?? [];
    const key = (s: unknown) => JSON.stringify(s);
    const add = (expected.aggregationRule.clusterRoleSelectors ?? []).filter((s) => !have.some((h) => key(h) === key(s)));
    if (add.length || !existing.aggregationRule) next.aggregationRule = { clusterRoleSelectors: [...have, ...add] };
  }
  return JSON.stringify(next) === JSON.stringify(existing) ? undefined : next;
}

/** The binding with the default's subjects added; `recreate` when its roleRef differs. */
export function reconcileBinding(existing: ClusterRoleBinding, expected: ClusterRoleBinding): { binding?: ClusterRoleBinding; recreate: boolean } {
  const ref = (b: ClusterRoleBinding) => JSON.stringify([b.roleRef?.apiGroup, b.roleRef?.kind, b.roleRef?.name]);
  const next = clone(existing);
  mergeMeta(next, expected);
  const same = (a: Subject, b: Subject) => a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '') && (a.apiGroup ?? '') === (b.apiGroup ?? '');
  const have = existing.subjects ?? [];
  const add = (expected.subjects ?? []).filter((s) => !have.some((h) => same(h, s)));
  if (add.length) next.subjects = [...have, ...add];
  if (ref(existing) !== ref(expected)) return { binding: { ...next, roleRef: expected.roleRef }, recreate: true };
  return { binding: JSON.stringify(next) === JSON.stringify(existing) ? undefined : next, recreate: false };
}

async function getOrUndefined(store: Store, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
  try {
    return await store.get(namespace, name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

const protectedFromUpdate = (o: KubeObject) => o.metadata?.annotations?.[AUTOUPDATE_ANNOTATION] === 'false';

/**
 * Brings the default cluster roles and bindings up to date, and the default Roles and
 * RoleBindings of kube-system and kube-public (the components', controllers' and
 * bootstrap-signer's, as kube-apiserver keeps them); `ctx` must be a privileged (system:masters)
 * context, and those namespaces must exist.
 */
export async function reconcileBootstrapPolicy(stores: { clusterroles: Store; clusterrolebindings: Store; roles: Store; rolebindings: Store }, ctx: RequestContext): Promise<void> {
  const write = { ...ctx, warnings: [] };
  // Each default on its own: their etcd round trips overlap.
  await Promise.all([
    ...[...BOOTSTRAP_CLUSTER_ROLES, ...systemClusterRoles()].map((r) => reconcileOneRole(stores.clusterroles, r, write)),
    ...[...BOOTSTRAP_CLUSTER_ROLE_BINDINGS, ...systemClusterRoleBindings()].map((b) => reconcileOneBinding(stores.clusterrolebindings, b, write)),
    ...systemNamespacedRoles().map((r) => reconcileOneRole(stores.roles, r as ClusterRole, write)),
    ...systemNamespacedRoleBindings().map((b) => reconcileOneBinding(stores.rolebindings, b as ClusterRoleBinding, write)),
  ]);
}

async function reconcileOneRole(store: Store, expected: ClusterRole, write: RequestContext): Promise<void> {
  const name = expected.metadata!.name!;
  const namespace = expected.metadata!.namespace;
  const existing = (await getOrUndefined(store, namespace, name)) as ClusterRole | undefined;
  if (!existing) {
    await store.create(namespace, clone(expected), write).catch((e) => {
      if (!(e instanceof ApiError && e.code === 409)) throw e; // another apiserver made it
    });
    log.info('created clusterrole', { name });
    return;
  }
  if (protectedFromUpdate(existing) || !reconcileRole(existing, expected)) return;
  await store.guaranteedUpdate(namespace, name, write, undefined, (current) => reconcileRole(current as ClusterRole, expected) ?? current);
  log.info('reconciled clusterrole', { name });
}

async function reconcileOneBinding(store: Store, expected: ClusterRoleBinding, write: RequestContext): Promise<void> {
  const name = expected.metadata!.name!;
  const namespace = expected.metadata!.namespace;
  const existing = (await getOrUndefined(store, namespace, name)) as ClusterRoleBinding | undefined;
  if (!existing) {
    await store.create(namespace, clone(expected), write).catch((e) => {
      if (!(e instanceof ApiError && e.code === 409)) throw e;
    });
    log.info('created clusterrolebinding', { name });
    return;
  }
  if (protectedFromUpdate(existing)) return;
  const r = reconcileBinding(existing, expected);
  if (!r.binding) return;
  if (r.recreate) {
    await store.delete(namespace, name, { preconditions: { uid: existing.metadata?.uid } }, write);
    const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, managedFields: _mf, ...meta } = r.binding.metadata ?? {};
    await store.create(namespace, { ...r.binding, metadata: meta }, write);
    log.info('recreated clusterrolebinding with the default roleRef', { name });
  } else {
    await store.guaranteedUpdate(namespace, name, write, undefined, (current) => reconcileBinding(current as ClusterRoleBinding, expected).binding ?? current);
    log.info('reconciled clusterrolebinding', { name });
  }
}
