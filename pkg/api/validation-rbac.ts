// rbac.authorization.k8s.io/v1 defaults (SetDefaults_Subject, SetDefaults_*RoleBinding) and
// validation (pkg/apis/rbac/validation): names are path segments, rules need verbs and either
// apiGroups+resources or nonResourceURLs (cluster roles only), bindings refer to a role of this
// group that cannot change, subjects are Users, Groups or ServiceAccounts.
import { goStrings, invalid, notSupported, required, VerbatimValue, type FieldError } from './field-error.js';
import { isDNS1123Subdomain } from './names.js';
import { validateLabelSelector } from './validation-affinity.js';
import { validateObjectMeta, validateObjectMetaUpdate, type NameValidator } from './validation-meta.js';
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject } from './types.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** RBAC names only have to be valid path segments (IsValidPathSegmentName). */
export const rbacName: NameValidator = (name) => {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  return ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
};

/** User and Group subjects belong to the RBAC group unless they say otherwise; roleRefs too. */
export function defaultSubjects(subjects: Subject[] | undefined): void {
  for (const s of subjects ?? []) {
    if (!s.apiGroup && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = RBAC_GROUP;
  }
}

export function defaultBinding(b: RoleBinding | ClusterRoleBinding): void {
  defaultSubjects(b.subjects);
  if (b.roleRef && !b.roleRef.apiGroup) b.roleRef.apiGroup = RBAC_GROUP;
}

export function validatePolicyRule(rule: PolicyRule, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!rule.verbs?.length) errs.push(required(`${path}.verbs`, 'verbs must contain at least one value'));
  if (rule.nonResourceURLs?.length) {
    if (namespaced) errs.push(invalid(`${path}.nonResourceURLs`, goStrings(rule.nonResourceURLs), 'namespaced rules cannot apply to non-resource URLs'));
    if (rule.apiGroups?.length || rule.resources?.length || rule.resourceNames?.length) {
      errs.push(invalid(`${path}.nonResourceURLs`, goStrings(rule.nonResourceURLs), 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (!rule.apiGroups?.length) errs.push(required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  if (!rule.resources?.length) errs.push(required(`${path}.resources`, 'resource rules must supply at least one resource'));
  return errs;
}

export function validateRole(role: Role): FieldError[] {
  const errs = validateObjectMeta(role.metadata, true, 'metadata', rbacName);
  (role.rules ?? []).forEach((r, i) => errs.push(...validatePolicyRule(r, true, `rules[${i}]`)));
  return errs;
}

export function validateRoleUpdate(role: Role, old: Role): FieldError[] {
  return [...metaUpdate(role.metadata, old.metadata, true), ...notMeta(validateRole(role))];
}

export function validateClusterRole(role: ClusterRole): FieldError[] {
  const errs = validateObjectMeta(role.metadata, false, 'metadata', rbacName);
  (role.rules ?? []).forEach((r, i) => errs.push(...validatePolicyRule(r, false, `rules[${i}]`)));
  const agg = role.aggregationRule;
  if (agg) {
    if (!agg.clusterRoleSelectors?.length) errs.push(required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    (agg.clusterRoleSelectors ?? []).forEach((s, i) => errs.push(...validateLabelSelector(s, `aggregationRule.clusterRoleSelectors[${i}]`)));
  }
  return errs;
}

export function validateClusterRoleUpdate(role: ClusterRole, old: ClusterRole): FieldError[] {
  return [...metaUpdate(role.metadata, old.metadata, false), ...notMeta(validateClusterRole(role))];
}

const metaUpdate = (meta: Role['metadata'], old: Role['metadata'], namespaced: boolean) => validateObjectMetaUpdate(meta, old, namespaced, 'metadata', rbacName);
/** The errors of a kind's own validation besides its metadata's (validateObjectMetaUpdate reports those). */
const notMeta = (errs: FieldError[]) => errs.filter((e) => !e.field.startsWith('metadata'));

function validateRoleRef(ref: RoleRef | undefined, kinds: string[]): FieldError[] {
  const r = ref ?? {};
  const errs: FieldError[] = [];
  if (r.apiGroup !== RBAC_GROUP) errs.push(notSupported('roleRef.apiGroup', r.apiGroup ?? '', [RBAC_GROUP]));
  if (!kinds.includes(r.kind ?? '')) errs.push(notSupported('roleRef.kind', r.kind ?? '', kinds));
  if (!r.name) errs.push(required('roleRef.name'));
  else for (const m of rbacName(r.name, false)) errs.push(invalid('roleRef.name', r.name, m));
  return errs;
}

export function validateSubject(s: Subject, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!s.name) errs.push(required(`${path}.name`));
  switch (s.kind) {
    case 'ServiceAccount':
      if (s.name) for (const m of isDNS1123Subdomain(s.name)) errs.push(invalid(`${path}.name`, s.name, m));
      if (s.apiGroup) errs.push(notSupported(`${path}.apiGroup`, s.apiGroup, ['']));
      if (!namespaced && !s.namespace) errs.push(required(`${path}.namespace`));
      break;
    case 'User':
    case 'Group':
      if (s.apiGroup !== RBAC_GROUP) errs.push(notSupported(`${path}.apiGroup`, s.apiGroup ?? '', [RBAC_GROUP]));
      break;
    default:
      errs.push(notSupported(`${path}.kind`, s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

function validateBinding(b: RoleBinding | ClusterRoleBinding, namespaced: boolean): FieldError[] {
  const errs = validateObjectMeta(b.metadata, namespaced, 'metadata', rbacName);
  errs.push(...validateRoleRef(b.roleRef, namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole']));
  (b.subjects ?? []).forEach((s, i) => errs.push(...validateSubject(s, namespaced, `subjects[${i}]`)));
  return errs;
}

function validateBindingUpdate(b: RoleBinding | ClusterRoleBinding, old: RoleBinding | ClusterRoleBinding, namespaced: boolean): FieldError[] {
  const errs = [...metaUpdate(b.metadata, old.metadata, namespaced), ...notMeta(validateBinding(b, namespaced))];
  const ref = (r: RoleRef | undefined) => ({ apiGroup: r?.apiGroup ?? '', kind: r?.kind ?? '', name: r?.name ?? '' });
  const [now, was] = [ref(b.roleRef), ref(old.roleRef)];
  // (field.Invalid prints a struct as Go's %#v does)
  if (now.apiGroup !== was.apiGroup || now.kind !== was.kind || now.name !== was.name) {
    errs.push(invalid('roleRef', new VerbatimValue(`rbac.RoleRef{APIGroup:${JSON.stringify(now.apiGroup ?? '')}, Kind:${JSON.stringify(now.kind ?? '')}, Name:${JSON.stringify(now.name ?? '')}}`), 'cannot change roleRef'));
  }
  return errs;
}

export const validateRoleBinding = (b: RoleBinding) => validateBinding(b, true);
export const validateRoleBindingUpdate = (b: RoleBinding, old: RoleBinding) => validateBindingUpdate(b, old, true);
export const validateClusterRoleBinding = (b: ClusterRoleBinding) => validateBinding(b, false);
export const validateClusterRoleBindingUpdate = (b: ClusterRoleBinding, old: ClusterRoleBinding) => validateBindingUpdate(b, old, false);
