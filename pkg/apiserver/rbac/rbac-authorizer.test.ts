import { describe, expect, it } from 'vitest';
import type { KubeObject, PolicyRule } from '../../api/types.js';
import { PolicyIndex } from './policy-index.js';
import { RbacAuthorizer } from './rbac-authorizer.js';
import { ruleAllows, type RequestAttributes } from './rule-match.js';

const res = (verb: string, resource: string, extra: Partial<Extract<RequestAttributes, { resourceRequest: true }>> = {}): RequestAttributes => ({ resourceRequest: true, verb, group: '', resource, ...extra });
const path = (verb: string, p: string): RequestAttributes => ({ resourceRequest: false, verb, path: p });

describe('rule matching', () => {
  const allows = (rule: PolicyRule, a: RequestAttributes) => ruleAllows(a, rule);

  it('verbs, groups and resources match exactly or by *', () => {
    const r: PolicyRule = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] };
    expect(allows(r, res('list', 'pods'))).toBe(true);
    expect(allows(r, res('delete', 'pods'))).toBe(false);
    expect(allows(r, res('list', 'pods', { group: 'apps' }))).toBe(false);
    expect(allows(r, res('list', 'services'))).toBe(false);
    expect(allows({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, res('escalate', 'roles', { group: 'rbac.authorization.k8s.io' }))).toBe(true);
  });

  it('a subresource matches resource/subresource or */subresource, never the bare resource', () => {
    expect(allows({ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, res('get', 'pods', { subresource: 'log' }))).toBe(false);
    expect(allows({ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, res('get', 'pods', { subresource: 'log' }))).toBe(true);
    expect(allows({ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, res('get', 'pods'))).toBe(false);
    expect(allows({ verbs: ['update'], apiGroups: ['apps'], resources: ['*/scale'] }, res('update', 'deployments', { group: 'apps', subresource: 'scale' }))).toBe(true);
    expect(allows({ verbs: ['update'], apiGroups: ['apps'], resources: ['*/scale'] }, res('update', 'deployments', { group: 'apps' }))).toBe(false);
    expect(allows({ verbs: ['get'], apiGroups: ['*'], resources: ['*'] }, res('get', 'pods', { subresource: 'log' }))).toBe(true);
    // As in Kubernetes' authorizer, `pods/*` names a subresource literally called '*' (only the
    // escalation check's coverage reads it as every subresource of pods).
    expect(allows({ verbs: ['get'], apiGroups: [''], resources: ['pods/*'] }, res('get', 'pods', { subresource: 'log' }))).toBe(false);
  });

  it('resourceNames limit a rule to those names, so it never allows list or create', () => {
    const r: PolicyRule = { verbs: ['get', 'list', 'create'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'] };
    expect(allows(r, res('get', 'configmaps', { name: 'settings' }))).toBe(true);
    expect(allows(r, res('get', 'configmaps', { name: 'other' }))).toBe(false);
    expect(allows(r, res('list', 'configmaps'))).toBe(false);
    expect(allows(r, res('create', 'configmaps'))).toBe(false);
  });

  it('non-resource URLs match exactly, by a prefix ending in *, or *', () => {
    const r: PolicyRule = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
    expect(allows(r, path('get', '/healthz'))).toBe(true);
    expect(allows(r, path('get', '/healthz/etcd'))).toBe(false);
    expect(allows(r, path('get', '/apis/apps/v1'))).toBe(true);
    expect(allows(r, path('get', '/apis'))).toBe(false);
    expect(allows(r, path('post', '/healthz'))).toBe(false);
    expect(allows({ verbs: ['*'], nonResourceURLs: ['*'] }, path('delete', '/anything'))).toBe(true);
    // A resource rule never allows a path, nor a URL rule a resource.
    expect(allows({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, path('get', '/healthz'))).toBe(false);
    expect(allows(r, res('get', 'pods'))).toBe(false);
  });
});

const rbac = 'rbac.authorization.k8s.io';
const role = (ns: string, name: string, rules: PolicyRule[]): KubeObject => ({ apiVersion: `${rbac}/v1`, kind: 'Role', metadata: { namespace: ns, name }, rules } as KubeObject);
const clusterRole = (name: string, rules: PolicyRule[]): KubeObject => ({ apiVersion: `${rbac}/v1`, kind: 'ClusterRole', metadata: { name }, rules } as KubeObject);
const rb = (ns: string, name: string, roleKind: string, roleName: string, subjects: object[]): KubeObject =>
  ({ kind: 'RoleBinding', metadata: { namespace: ns, name }, roleRef: { apiGroup: rbac, kind: roleKind, name: roleName }, subjects } as KubeObject);
const crb = (name: string, roleName: string, subjects: object[]): KubeObject => ({ kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: roleName }, subjects } as KubeObject);

const alice = { name: 'alice', groups: ['system:authenticated'] };
const readPods: PolicyRule[] = [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }];

describe('RBAC authorizer over the policy index', () => {
  function setup() {
    const index = new PolicyIndex();
    const authz = new RbacAuthorizer(index);
    index.apply('clusterroles', 'ADDED', clusterRole('pod-reader', readPods));
    index.apply('roles', 'ADDED', role('a', 'cm-writer', [{ verbs: ['create'], apiGroups: [''], resources: ['configmaps'] }]));
    return { index, authz };
  }

  it('a RoleBinding grants in its own namespace only, and says which binding allowed', () => {
    const { index, authz } = setup();
    index.apply('rolebindings', 'ADDED', rb('a', 'read', 'ClusterRole', 'pod-reader', [{ kind: 'User', name: 'alice' }]));
    expect(authz.authorize(alice, res('list', 'pods', { namespace: 'a' }))).toEqual({ allowed: true, reason: 'RBAC: allowed by RoleBinding "read/a" of ClusterRole "pod-reader" to User "alice"' });
    expect(authz.authorize(alice, res('list', 'pods', { namespace: 'b' }))).toEqual({ allowed: false, reason: '' });
    expect(authz.authorize(alice, res('list', 'pods'))).toEqual({ allowed: false, reason: '' });
    expect(authz.authorize(alice, res('create', 'pods', { namespace: 'a' })).allowed).toBe(false);
    expect(authz.authorize({ name: 'bob', groups: [] }, res('list', 'pods', { namespace: 'a' })).allowed).toBe(false);
  });

  it('a Role binds within its namespace; a ClusterRoleBinding grants everywhere', () => {
    const { index, authz } = setup();
    index.apply('rolebindings', 'ADDED', rb('a', 'cm', 'Role', 'cm-writer', [{ kind: 'Group', name: 'writers' }]));
    expect(authz.authorize({ name: 'carol', groups: ['writers'] }, res('create', 'configmaps', { namespace: 'a' })).allowed).toBe(true);
    index.apply('clusterrolebindings', 'ADDED', crb('everyone-reads', 'pod-reader', [{ kind: 'Group', name: 'system:authenticated' }]));
    expect(authz.authorize(alice, res('list', 'pods', { namespace: 'z' }))).toEqual({ allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "everyone-reads" of ClusterRole "pod-reader" to Group "system:authenticated"' });
    expect(authz.authorize(alice, res('list', 'pods')).allowed).toBe(true);
  });

  it('service account subjects match system:serviceaccount:NS:NAME, defaulting to the binding namespace', () => {
    const { index, authz } = setup();
    index.apply('rolebindings', 'ADDED', rb('a', 'sa', 'ClusterRole', 'pod-reader', [{ kind: 'ServiceAccount', name: 'builder' }]));
    const sa = { name: 'system:serviceaccount:a:builder', groups: ['system:serviceaccounts', 'system:serviceaccounts:a', 'system:authenticated'] };
    expect(authz.authorize(sa, res('get', 'pods', { namespace: 'a', name: 'p' }))).toEqual({ allowed: true, reason: 'RBAC: allowed by RoleBinding "sa/a" of ClusterRole "pod-reader" to ServiceAccount "builder/a"' });
    expect(authz.authorize({ ...sa, name: 'system:serviceaccount:b:builder' }, res('get', 'pods', { namespace: 'a' })).allowed).toBe(false);
  });

  it('bindings and roles follow their events: an update moves subjects, a delete revokes', () => {
    const { index, authz } = setup();
    index.apply('clusterrolebindings', 'ADDED', crb('r', 'pod-reader', [{ kind: 'User', name: 'alice' }]));
    expect(authz.authorize(alice, res('list', 'pods')).allowed).toBe(true);
    index.apply('clusterrolebindings', 'MODIFIED', crb('r', 'pod-reader', [{ kind: 'User', name: 'bob' }]));
    expect(authz.authorize(alice, res('list', 'pods')).allowed).toBe(false);
    expect(authz.authorize({ name: 'bob', groups: [] }, res('list', 'pods')).allowed).toBe(true);
    index.apply('clusterroles', 'MODIFIED', clusterRole('pod-reader', []));
    expect(authz.authorize({ name: 'bob', groups: [] }, res('list', 'pods')).allowed).toBe(false);
    index.apply('clusterroles', 'MODIFIED', clusterRole('pod-reader', readPods));
    index.apply('clusterrolebindings', 'DELETED', crb('r', 'pod-reader', [{ kind: 'User', name: 'bob' }]));
    expect(authz.authorize({ name: 'bob', groups: [] }, res('list', 'pods')).allowed).toBe(false);
    expect(index.size).toMatchObject({ bindings: 0, subjects: 0 });
    index.apply('rolebindings', 'ADDED', rb('a', 'x', 'ClusterRole', 'pod-reader', [{ kind: 'User', name: 'bob' }]));
    index.clear('rolebindings');
    expect(index.size).toMatchObject({ bindings: 0, subjects: 0 });
  });

  it('a binding to a missing role is the refusal reason; non-resource URLs come from ClusterRoleBindings only', () => {
    const { index, authz } = setup();
    index.apply('clusterrolebindings', 'ADDED', crb('ghost', 'nope', [{ kind: 'User', name: 'alice' }]));
    expect(authz.authorize(alice, res('list', 'pods'))).toEqual({ allowed: false, reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "nope" not found' });
    index.apply('clusterroles', 'ADDED', clusterRole('health', [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }]));
    index.apply('rolebindings', 'ADDED', rb('a', 'h', 'ClusterRole', 'health', [{ kind: 'User', name: 'alice' }]));
    expect(authz.authorize(alice, path('get', '/healthz')).allowed).toBe(false);
    index.apply('clusterrolebindings', 'ADDED', crb('h', 'health', [{ kind: 'User', name: 'alice' }]));
    expect(authz.authorize(alice, path('get', '/healthz')).allowed).toBe(true);
  });

  it('rulesFor lists cluster-wide grants, then the namespace\'s', () => {
    const { index, authz } = setup();
    index.apply('clusterrolebindings', 'ADDED', crb('r', 'pod-reader', [{ kind: 'User', name: 'alice' }]));
    index.apply('rolebindings', 'ADDED', rb('a', 'cm', 'Role', 'cm-writer', [{ kind: 'User', name: 'alice' }]));
    expect(authz.rulesFor(alice, 'a').rules).toEqual([...readPods, { verbs: ['create'], apiGroups: [''], resources: ['configmaps'] }]);
    expect(authz.rulesFor(alice, 'b').rules).toEqual(readPods);
  });
});
