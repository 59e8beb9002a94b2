import { describe, expect, it } from 'vitest';
import { formatFieldError } from './field-error.js';
import type { ClusterRoleBinding, RoleBinding } from './types.js';
import {
  defaultBinding,
  validateClusterRole,
  validateClusterRoleBinding,
  validateClusterRoleUpdate,
  validateRole,
  validateRoleBinding,
  validateRoleBindingUpdate,
} from './validation-rbac.js';

const messages = (errs: Parameters<typeof formatFieldError>[0][]) => errs.map(formatFieldError);
const ns = { name: 'r', namespace: 'a' };

describe('roles', () => {
  it('rules need verbs, and apiGroups and resources unless they name non-resource URLs', () => {
    expect(validateRole({ metadata: ns, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] })).toEqual([]);
    expect(messages(validateRole({ metadata: ns, rules: [{ verbs: [], apiGroups: [], resources: [] }] }))).toEqual([
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
      'rules[0].resources: Required value: resource rules must supply at least one resource',
    ]);
  });

  it('non-resource URLs belong to cluster roles, and never beside resources', () => {
    expect(messages(validateRole({ metadata: ns, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] }))).toEqual(['rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs']);
    expect(validateClusterRole({ metadata: { name: 'c' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/api/*'] }] })).toEqual([]);
    expect(messages(validateClusterRole({ metadata: { name: 'c' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/x'], resources: ['pods'] }] }))).toEqual([
      'rules[0].nonResourceURLs: Invalid value: []string{"/x"}: rules cannot apply to both regular resources and non-resource URLs',
    ]);
  });

  it('names are path segments: colons are fine, slashes and percent signs are not', () => {
    expect(validateClusterRole({ metadata: { name: 'system:aggregate-to-view' } })).toEqual([]);
    expect(messages(validateClusterRole({ metadata: { name: 'a/b%c' } }))).toEqual([`metadata.name: Invalid value: "a/b%c": may not contain '/'`, `metadata.name: Invalid value: "a/b%c": may not contain '%'`]);
    expect(messages(validateRole({ metadata: { name: '..', namespace: 'a' } }))).toEqual([`metadata.name: Invalid value: "..": may not be '..'`]);
    expect(messages(validateClusterRole({ metadata: { name: 'c', namespace: 'a' } }))).toEqual(['metadata.namespace: Forbidden: not allowed on this type']);
  });

  it('an aggregation rule needs valid selectors', () => {
    expect(validateClusterRole({ metadata: { name: 'c' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate-to-c': 'true' } }] } })).toEqual([]);
    expect(messages(validateClusterRole({ metadata: { name: 'c' }, aggregationRule: { clusterRoleSelectors: [] } }))).toEqual([
      'aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil',
    ]);
    expect(validateClusterRole({ metadata: { name: 'c' }, aggregationRule: { clusterRoleSelectors: [{ matchExpressions: [{ key: 'k', operator: 'Near' }] }] } }).map((e) => e.field)).toEqual([
      'aggregationRule.clusterRoleSelectors[0].matchExpressions[0].operator',
    ]);
  });

  it('an update keeps the name', () => {
    expect(messages(validateClusterRoleUpdate({ metadata: { name: 'd' } }, { metadata: { name: 'c' } }))).toEqual(['metadata.name: Invalid value: "d": field is immutable']);
  });
});

describe('bindings', () => {
  const binding = (extra: Partial<RoleBinding> = {}): RoleBinding => {
    const b: RoleBinding = { metadata: { name: 'b', namespace: 'a' }, roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'alice' }], ...extra };
    defaultBinding(b);
    return b;
  };

  it('defaults the apiGroup of users, groups and the roleRef, not of service accounts', () => {
    const b = binding({ subjects: [{ kind: 'User', name: 'alice' }, { kind: 'Group', name: 'g' }, { kind: 'ServiceAccount', name: 'sa' }] });
    expect(b.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });
    expect(b.subjects!.map((s) => s.apiGroup)).toEqual(['rbac.authorization.k8s.io', 'rbac.authorization.k8s.io', undefined]);
    expect(validateRoleBinding(b)).toEqual([]);
  });

  it('roleRef: Role or ClusterRole of the RBAC group, with a name', () => {
    expect(messages(validateRoleBinding({ metadata: { name: 'b', namespace: 'a' }, roleRef: { apiGroup: 'x', kind: 'Thing', name: '' } }))).toEqual([
      'roleRef.apiGroup: Unsupported value: "x": supported values: "rbac.authorization.k8s.io"',
      'roleRef.kind: Unsupported value: "Thing": supported values: "Role", "ClusterRole"',
      'roleRef.name: Required value',
    ]);
    const crb: ClusterRoleBinding = { metadata: { name: 'b' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' } };
    expect(messages(validateClusterRoleBinding(crb))).toEqual(['roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"']);
  });

  it('subjects: a service account needs its namespace in a cluster binding and no apiGroup; users and groups the RBAC group', () => {
    const crb: ClusterRoleBinding = { metadata: { name: 'b' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }] };
    expect(messages(validateClusterRoleBinding(crb))).toEqual(['subjects[0].namespace: Required value']);
    expect(validateRoleBinding(binding({ subjects: [{ kind: 'ServiceAccount', name: 'sa' }] }))).toEqual([]);
    expect(messages(validateRoleBinding(binding({ subjects: [{ kind: 'ServiceAccount', name: 'Bad_SA', apiGroup: 'v1' }] })))).toEqual([
      `subjects[0].name: Invalid value: "Bad_SA": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      'subjects[0].apiGroup: Unsupported value: "v1": supported values: ""',
    ]);
    expect(messages(validateRoleBinding(binding({ subjects: [{ kind: 'User', name: 'u', apiGroup: 'v1' }, { kind: 'Robot', name: '' }] })))).toEqual([
      'subjects[0].apiGroup: Unsupported value: "v1": supported values: "rbac.authorization.k8s.io"',
      'subjects[1].name: Required value',
      'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
    ]);
  });

  it('roleRef cannot change; subjects can', () => {
    const old = binding();
    expect(validateRoleBindingUpdate(binding({ subjects: [{ kind: 'Group', name: 'g' }] }), old)).toEqual([]);
    expect(messages(validateRoleBindingUpdate(binding({ roleRef: { kind: 'ClusterRole', name: 'edit' } }), old))).toEqual([
      'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef',
    ]);
  });
});
