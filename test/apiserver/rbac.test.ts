// RBAC against a real apiserver and etcd, with users from a static token file: the bootstrap
// policy and its aggregation (the real controller), namespaced and cluster-wide grants, their
// removal, non-resource URLs, escalation prevention, impersonation, and the access reviews.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterRole, KubeObject } from '../../pkg/api/types.js';
import { formatTokenEntry, newToken, type TokenEntry } from '../../pkg/apiserver/pki.js';
import { Informer } from '../../pkg/client/informer.js';
import { ClusterRoleBindings, ClusterRoles, Namespaces, Pods, RestClient, RoleBindings, Roles, core } from '../../pkg/client/rest-client.js';
import { ClusterRoleAggregationController } from '../../pkg/controllers/clusterrole-aggregation.js';
import { eventually, failure, pod, startControlPlane, statusCode as code, type TestControlPlane } from '../helpers/control-plane.js';

const RBAC = 'rbac.authorization.k8s.io';
const users: TokenEntry[] = [
  { token: newToken(), user: 'admin', uid: 'admin', groups: ['system:masters'] },
  { token: newToken(), user: 'alice', uid: 'alice-uid', groups: [] },
  { token: newToken(), user: 'bob', uid: 'bob-uid', groups: ['devs'] },
  { token: newToken(), user: 'carol', uid: 'carol-uid', groups: [] },
  // A service account's identity, as its token would authenticate it.
  { token: newToken(), user: 'system:serviceaccount:a:robot', uid: 'robot-uid', groups: ['system:serviceaccounts', 'system:serviceaccounts:a'] },
];
const tokenOf = (name: string) => users.find((u) => u.user === name)!.token;

let dir: string;
let cp: TestControlPlane;
let informer: Informer<ClusterRole & KubeObject>;
let aggregation: ClusterRoleAggregationController;
const clients: RestClient[] = [];
const as = (name: string, headers: Record<string, string | string[]> = {}) => {
  const c = new RestClient({ ...cp.config, token: tokenOf(name) }, { headers });
  clients.push(c);
  return c;
};

const rb = (ns: string, name: string, roleKind: 'Role' | 'ClusterRole', role: string, subjects: object[]) => ({
  apiVersion: `${RBAC}/v1`,
  kind: 'RoleBinding',
  metadata: { name, namespace: ns },
  roleRef: { apiGroup: RBAC, kind: roleKind, name: role },
  subjects,
});
const crb = (name: string, role: string, subjects: object[]) => ({ apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role }, subjects });
const clusterRole = (name: string, rules: object[]) => ({ apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name }, rules });
const user = (name: string) => ({ kind: 'User', name });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-rbac-test-'));
  const tokenFile = join(dir, 'tokens.csv');
  writeFileSync(tokenFile, users.map(formatTokenEntry).join('\n') + '\n');
  cp = await startControlPlane({ tokenAuthFile: tokenFile });
  // The controller manager's aggregation controller fills admin, edit and view.
  informer = new Informer<ClusterRole & KubeObject>(cp.admin, ClusterRoles);
  aggregation = new ClusterRoleAggregationController(cp.admin, informer);
  informer.start();
  await informer.hasSynced();
  aggregation.start();
  for (const ns of ['a', 'b']) await cp.admin.create(Namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (const ns of ['a', 'b']) await cp.admin.create(Pods, ns, pod('p'));
});

afterAll(async () => {
  aggregation?.stop();
  informer?.stop();
  for (const c of clients) c.close();
  await cp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('bootstrap policy', () => {
  it('creates the default roles and bindings, labelled, and the controller aggregates view, edit and admin', async () => {
    const names = (await cp.admin.list<KubeObject>(ClusterRoles)).items.map((r) => r.metadata!.name);
    expect(names).toEqual(expect.arrayContaining(['cluster-admin', 'admin', 'edit', 'view', 'system:discovery', 'system:basic-user', 'system:public-info-viewer', 'system:aggregate-to-view']));
    const admin = await cp.admin.get<KubeObject>(ClusterRoleBindings, undefined, 'cluster-admin');
    expect(admin).toMatchObject({ roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'Group', name: 'system:masters' }] });
    expect(admin.metadata?.labels).toEqual({ 'kubernetes.io/bootstrapping': 'rbac-defaults' });
    expect(admin.metadata?.annotations).toEqual({ 'rbac.authorization.kubernetes.io/autoupdate': 'true' });
    const has = (rules: { resources?: string[]; verbs?: string[] }[] | undefined, resource: string, verb: string) => (rules ?? []).some((r) => r.resources?.includes(resource) && r.verbs?.includes(verb));
    await eventually(async () => has((await cp.admin.get<ClusterRole>(ClusterRoles, undefined, 'view')).rules, 'pods', 'list'), { what: 'view aggregated' });
    await eventually(async () => {
      const r = (await cp.admin.get<ClusterRole>(ClusterRoles, undefined, 'admin')).rules;
      return has(r, 'pods', 'list') && has(r, 'pods', 'create') && has(r, 'rolebindings', 'create');
    }, { what: 'admin aggregated from edit, view and aggregate-to-admin' });
  });

  it('a default edited by hand gets what it lost back on restart, unless autoupdate is false', async () => {
    await cp.admin.patch(ClusterRoles, undefined, 'system:discovery', { rules: [{ verbs: ['get'], nonResourceURLs: ['/version'] }] }, 'merge');
    await cp.admin.patch(ClusterRoles, undefined, 'system:public-info-viewer', { metadata: { annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'false' } }, rules: [{ verbs: ['get'], nonResourceURLs: ['/version'] }] }, 'merge');
    await cp.restart();
    const discovery = await cp.admin.get<ClusterRole>(ClusterRoles, undefined, 'system:discovery');
    expect(discovery.rules!.flatMap((r) => r.nonResourceURLs)).toEqual(expect.arrayContaining(['/version', '/api', '/apis/*', '/healthz']));
    expect((await cp.admin.get<ClusterRole>(ClusterRoles, undefined, 'system:public-info-viewer')).rules).toEqual([{ verbs: ['get'], nonResourceURLs: ['/version'] }]);
    // Put it back for the other tests (anonymous health checks).
    await cp.admin.patch(ClusterRoles, undefined, 'system:public-info-viewer', { metadata: { annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' } } }, 'merge');
    await cp.restart();
  });
});

describe('namespaced and cluster-wide grants', () => {
  it('alice bound to view in a lists pods in a, not in b, and cannot create; the binding going revokes it', async () => {
    const alice = as('alice');
    const denied = await failure(alice.list(Pods, 'a'));
    expect(denied.code).toBe(403);
    expect(denied.message).toBe('pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "a"');
    await cp.admin.create(RoleBindings, 'a', rb('a', 'alice-view', 'ClusterRole', 'view', [user('alice')]));
    await eventually(async () => (await alice.list(Pods, 'a')).items.length === 1, { what: 'alice lists pods in a' });
    expect((await alice.get<KubeObject>(Pods, 'a', 'p')).metadata?.name).toBe('p');
    expect((await failure(alice.list(Pods, 'b'))).message).toBe('pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "b"');
    expect((await failure(alice.create(Pods, 'a', pod('q')))).message).toBe('pods is forbidden: User "alice" cannot create resource "pods" in API group "" in the namespace "a"');
    expect(await code(alice.get(core('secrets'), 'a', 'x'))).toBe(403);
    expect((await failure(alice.list(core('nodes', false)))).message).toBe('nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope');
    await cp.admin.delete(RoleBindings, 'a', 'alice-view');
    await eventually(async () => (await code(alice.list(Pods, 'a'))) === 403, { what: 'the grant revoked' });
  });

  it('a ClusterRoleBinding to a group grants in every namespace and at cluster scope', async () => {
    const bob = as('bob');
    await cp.admin.create(ClusterRoles, undefined, clusterRole('pod-and-node-reader', [{ apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list'] }]));
    await cp.admin.create(ClusterRoleBindings, undefined, crb('devs-read', 'pod-and-node-reader', [{ kind: 'Group', name: 'devs' }]));
    await eventually(async () => (await bob.list(Pods, 'b')).items.length === 1);
    expect(await code(bob.list(Pods, 'a'))).toBe(200);
    expect(await code(bob.list(core('nodes', false)))).toBe(200);
    expect(await code(bob.delete(Pods, 'a', 'p'))).toBe(403);
    // A rule with resourceNames allows only those names.
    await cp.admin.create(ClusterRoles, undefined, clusterRole('one-pod', [{ apiGroups: [''], resources: ['pods'], verbs: ['delete'], resourceNames: ['gone'] }]));
    await cp.admin.create(RoleBindings, 'b', rb('b', 'bob-one', 'ClusterRole', 'one-pod', [user('bob')]));
    await cp.admin.create(Pods, 'b', pod('gone'));
    await eventually(async () => (await code(bob.delete(Pods, 'b', 'gone'))) === 200);
    expect(await code(bob.delete(Pods, 'b', 'p'))).toBe(403);
  });

  it('a service account subject matches system:serviceaccount:NS:NAME (a token of that user)', async () => {
    const robot = as('system:serviceaccount:a:robot');
    expect(await code(robot.list(Pods, 'a'))).toBe(403);
    await cp.admin.create(RoleBindings, 'a', rb('a', 'robot-view', 'ClusterRole', 'view', [{ kind: 'ServiceAccount', name: 'robot' }]));
    await eventually(async () => (await code(robot.list(Pods, 'a'))) === 200);
    expect(await code(robot.list(Pods, 'b'))).toBe(403);
  });
});

describe('non-resource URLs', () => {
  it('discovery and health for anyone signed in, health and version without credentials, /metrics by grant', async () => {
    const carol = as('carol');
    expect(await code(carol.request('/api'))).toBe(200);
    expect(await code(carol.request('/apis/apps/v1'))).toBe(200);
    expect(await code(carol.request('/openapi/v3'))).toBe(200);
    const anon = cp.clientWithToken(undefined);
    expect(await anon.request('/healthz')).toBe('ok');
    expect(await code(anon.request('/version'))).toBe(200);
    expect((await failure(anon.request('/api'))).message).toBe('forbidden: User "system:anonymous" cannot get path "/api"');
    // A header that is not a bearer token is no credential (bearertoken passes it by): anonymous, not 401.
    for (const authorization of ['Basic YWRtaW46YWRtaW4=', 'Bearer']) {
      const c = new RestClient({ ...cp.config, token: undefined }, { headers: { Authorization: authorization } });
      clients.push(c);
      expect(await c.request('/healthz')).toBe('ok');
      expect((await failure(c.request('/api'))).message).toBe('forbidden: User "system:anonymous" cannot get path "/api"');
    }
    const bad = new RestClient({ ...cp.config, token: 'not-a-token' });
    clients.push(bad);
    expect(await code(bad.request('/healthz'))).toBe(401);
    expect((await failure(carol.request('/metrics'))).message).toBe('forbidden: User "carol" cannot get path "/metrics"');
    await cp.admin.create(ClusterRoles, undefined, clusterRole('metrics-reader', [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }]));
    // Non-resource URLs are granted by ClusterRoleBindings only: a RoleBinding does nothing.
    await cp.admin.create(RoleBindings, 'a', rb('a', 'carol-metrics', 'ClusterRole', 'metrics-reader', [user('carol')]));
    await cp.admin.create(ClusterRoleBindings, undefined, crb('carol-metrics', 'metrics-reader', [user('carol')]));
    await eventually(async () => (await code(carol.request('/metrics', { accept: 'text/plain' }))) === 200);
  });

  it('a path nothing serves is forbidden to a user who may not use it, NotFound only to one who may (authorization before routing)', async () => {
    const carol = as('carol');
    expect((await failure(carol.request('/logs'))).message).toBe('forbidden: User "carol" cannot get path "/logs"');
    expect((await failure(carol.request('/apis/foo.example/v1/things'))).message).toBe(
      'things.foo.example is forbidden: User "carol" cannot list resource "things" in API group "foo.example" at the cluster scope',
    );
    expect((await failure(carol.request('/api/v1/namespaces/a/foos/x'))).message).toBe('foos "x" is forbidden: User "carol" cannot get resource "foos" in API group "" in the namespace "a"');
    expect((await failure(carol.request('/api/v1/namespaces/a/nodes'))).message).toBe('nodes is forbidden: User "carol" cannot list resource "nodes" in API group "" in the namespace "a"');
    expect((await failure(carol.request('/api/v1/namespaces/a/pods/p/nope'))).message).toBe('pods "p" is forbidden: User "carol" cannot get resource "pods/nope" in API group "" in the namespace "a"');
    // (/logs is served since 50e2bed, as kube-apiserver's logs handler: a path nothing serves stands in for it)
    expect((await failure(carol.request('/no-such-path'))).message).toBe('forbidden: User "carol" cannot get path "/no-such-path"');
    for (const path of ['/no-such-path', '/apis/foo.example/v1/things', '/api/v1/namespaces/a/foos/x', '/api/v1/namespaces/a/nodes', '/api/v1/namespaces/a/pods/p/nope']) {
      expect(await code(cp.admin.request(path))).toBe(404);
    }
  });
});

describe('escalation prevention', () => {
  it('an admin of namespace a writes roles and bindings there only with permissions it holds', async () => {
    const carol = as('carol');
    await cp.admin.create(RoleBindings, 'a', rb('a', 'carol-admin', 'ClusterRole', 'admin', [user('carol')]));
    const role = (rules: object[]) => ({ apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name: 'r', namespace: 'a' }, rules });
    await eventually(async () => (await code(carol.create(Roles, 'a', role([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }])))) === 200, { what: 'carol creates a role she holds' });
    const e = await failure(carol.create(Roles, 'a', { ...role([{ apiGroups: [''], resources: ['nodes'], verbs: ['list'] }]), metadata: { name: 'r2', namespace: 'a' } }));
    expect(e.code).toBe(403);
    expect(e.message).toBe(
      'roles.rbac.authorization.k8s.io "r2" is forbidden: user "carol" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["list"]}',
    );
    // Updating her role to more than she holds is refused too.
    expect(await code(carol.patch(Roles, 'a', 'r', { rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] }, 'merge'))).toBe(403);
    // Binding view (which admin covers) in a is fine; binding cluster-admin, or anything in b, is not.
    expect(await code(carol.create(RoleBindings, 'a', rb('a', 'bob-view', 'ClusterRole', 'view', [user('bob')])))).toBe(200);
    expect((await failure(carol.create(RoleBindings, 'a', rb('a', 'bob-root', 'ClusterRole', 'cluster-admin', [user('bob')])))).message).toMatch(
      /^rolebindings\.rbac\.authorization\.k8s\.io "bob-root" is forbidden: user "carol" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n/,
    );
    expect(await code(carol.create(RoleBindings, 'b', rb('b', 'bob-view', 'ClusterRole', 'view', [user('bob')])))).toBe(403);
  });

  it('the bind and escalate verbs lift the checks', async () => {
    const carol = as('carol');
    await cp.admin.create(ClusterRoles, undefined, clusterRole('bind-cluster-admin', [{ apiGroups: [RBAC], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['cluster-admin'] }]));
    await cp.admin.create(RoleBindings, 'a', rb('a', 'carol-bind', 'ClusterRole', 'bind-cluster-admin', [user('carol')]));
    await eventually(async () => (await code(carol.create(RoleBindings, 'a', rb('a', 'bob-root', 'ClusterRole', 'cluster-admin', [user('bob')])))) === 200, { what: 'bind allowed' });
    await cp.admin.create(ClusterRoles, undefined, clusterRole('escalator', [{ apiGroups: [RBAC], resources: ['roles'], verbs: ['escalate'] }]));
    await cp.admin.create(RoleBindings, 'a', rb('a', 'carol-escalate', 'ClusterRole', 'escalator', [user('carol')]));
    const wide = { apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name: 'wide', namespace: 'a' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] };
    await eventually(async () => (await code(carol.create(Roles, 'a', wide))) === 200, { what: 'escalate allowed' });
  });
});

describe('impersonation', () => {
  it('needs the impersonate verb; then the request runs as the impersonated user', async () => {
    await cp.admin.create(RoleBindings, 'b', rb('b', 'alice-view-b', 'ClusterRole', 'view', [user('alice')]));
    const asAlice = as('bob', { 'Impersonate-User': 'alice' });
    const e = await failure(asAlice.list(Pods, 'b'));
    expect(e.code).toBe(403);
    expect(e.message).toBe('users "alice" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope');
    await cp.admin.create(ClusterRoles, undefined, clusterRole('impersonator', [{ apiGroups: [''], resources: ['users', 'groups', 'serviceaccounts'], verbs: ['impersonate'] }]));
    await cp.admin.create(ClusterRoleBindings, undefined, crb('bob-impersonates', 'impersonator', [user('bob')]));
    await eventually(async () => (await code(asAlice.list(Pods, 'b'))) === 200, { what: 'bob acts as alice' });
    // As alice, bob loses his own group's cluster-wide read of nodes.
    expect((await failure(asAlice.list(core('nodes', false)))).message).toBe('nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope');
    // Groups come along: alice with group devs reads nodes again.
    expect(await code(as('bob', { 'Impersonate-User': 'alice', 'Impersonate-Group': 'devs' }).list(core('nodes', false)))).toBe(200);
    // A service account by its user name: checked as serviceaccounts in its namespace.
    expect(await code(as('bob', { 'Impersonate-User': 'system:serviceaccount:a:robot' }).list(Pods, 'a'))).toBe(200);
    expect(await code(as('alice', { 'Impersonate-User': 'admin' }).list(Pods, 'a'))).toBe(403);
  });

  it('repeated Impersonate-Group and Impersonate-Extra lines are separate values (kubectl --as-group g1 --as-group g2)', async () => {
    await cp.admin.create(ClusterRoles, undefined, clusterRole('extra-impersonator', [{ apiGroups: ['authentication.k8s.io'], resources: ['userextras/scopes'], verbs: ['impersonate'] }]));
    await cp.admin.create(ClusterRoleBindings, undefined, crb('bob-impersonates-extras', 'extra-impersonator', [user('bob')]));
    const c = as('bob', { 'Impersonate-User': 'alice', 'Impersonate-Group': ['g1', 'g2'], 'Impersonate-Extra-Scopes': ['s1', 's2'] });
    type Review = { status: { userInfo: { username: string; groups: string[]; extra?: Record<string, string[]> } } };
    const whoami = () => c.request<Review>('/apis/authentication.k8s.io/v1/selfsubjectreviews', { method: 'POST', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    await eventually(async () => (await whoami().then(() => 200, (e: { code?: number }) => e.code ?? 0)) === 200, { what: 'bob may impersonate extras' });
    expect((await whoami()).status.userInfo).toEqual({ username: 'alice', groups: ['g1', 'g2', 'system:authenticated'], extra: { scopes: ['s1', 's2'] } });
  });
});

describe('access reviews', () => {
  const post = <T>(c: RestClient, path: string, body: object) => c.request<T>(path, { method: 'POST', body });
  type Review = { status: { allowed: boolean; reason?: string } };

  it('SelfSubjectAccessReview answers from RBAC too; SubjectAccessReview is for those allowed to create it', async () => {
    await cp.admin.create(RoleBindings, 'a', rb('a', 'alice-view-a', 'ClusterRole', 'view', [user('alice')]));
    const alice = as('alice');
    const ssar = (spec: object) => post<Review>(alice, '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec });
    await eventually(async () => (await ssar({ resourceAttributes: { verb: 'list', resource: 'pods', namespace: 'a' } })).status.allowed);
    expect((await ssar({ resourceAttributes: { verb: 'list', resource: 'pods', namespace: 'a' } })).status).toEqual({ allowed: true, reason: 'RBAC: allowed by RoleBinding "alice-view-a/a" of ClusterRole "view" to User "alice"' });
    expect((await ssar({ resourceAttributes: { verb: 'delete', resource: 'pods', namespace: 'a' } })).status).toEqual({ allowed: false });
    const sar = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'alice', resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'a', name: 'p' } } };
    expect((await post<Review>(cp.admin, '/apis/authorization.k8s.io/v1/subjectaccessreviews', sar)).status.allowed).toBe(true);
    expect((await post<Review>(cp.admin, '/apis/authorization.k8s.io/v1/subjectaccessreviews', { ...sar, spec: { ...sar.spec, user: 'nobody' } })).status.allowed).toBe(false);
    expect((await failure(post(alice, '/apis/authorization.k8s.io/v1/subjectaccessreviews', sar))).message).toBe(
      'subjectaccessreviews.authorization.k8s.io is forbidden: User "alice" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope',
    );
    expect((await failure(post(cp.admin, '/apis/authorization.k8s.io/v1/subjectaccessreviews', { ...sar, spec: { resourceAttributes: sar.spec.resourceAttributes } }))).code).toBe(422);
    // A LocalSubjectAccessReview is limited to its namespace.
    const local = { apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', metadata: { namespace: 'a' }, spec: { user: 'alice', resourceAttributes: { verb: 'list', resource: 'pods', namespace: 'a' } } };
    expect((await post<Review>(cp.admin, '/apis/authorization.k8s.io/v1/namespaces/a/localsubjectaccessreviews', local)).status.allowed).toBe(true);
    expect((await failure(post(cp.admin, '/apis/authorization.k8s.io/v1/namespaces/a/localsubjectaccessreviews', { ...local, spec: { ...local.spec, resourceAttributes: { verb: 'list', resource: 'pods', namespace: 'b' } } }))).code).toBe(422);
  });

  it('SelfSubjectRulesReview lists what one may do in a namespace', async () => {
    const alice = as('alice');
    type Rules = { status: { resourceRules: { verbs: string[]; resources?: string[] }[]; nonResourceRules: { nonResourceURLs?: string[] }[]; incomplete: boolean } };
    const rules = await post<Rules>(alice, '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'a' } });
    expect(rules.status.incomplete).toBe(false);
    expect(rules.status.resourceRules).toContainEqual(expect.objectContaining({ resources: expect.arrayContaining(['pods']), verbs: ['get', 'list', 'watch'] }));
    expect(rules.status.resourceRules).toContainEqual(expect.objectContaining({ resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] }));
    expect(rules.status.nonResourceRules.flatMap((r) => r.nonResourceURLs)).toContain('/healthz');
    const other = await post<Rules>(alice, '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'z' } });
    expect(other.status.resourceRules.some((r) => r.resources?.includes('pods'))).toBe(false);
  });
});

describe('the kinds', () => {
  it('validates bindings and keeps roleRef immutable; prints tables as kubectl shows them', async () => {
    const bad = await failure(cp.admin.create(RoleBindings, 'a', rb('a', 'bad', 'ClusterRole', 'view', [{ kind: 'Robot', name: 'r' }])));
    expect(bad.code).toBe(422);
    expect(bad.message).toBe('RoleBinding.rbac.authorization.k8s.io "bad" is invalid: subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"');
    const sa = await failure(cp.admin.create(ClusterRoleBindings, undefined, crb('sa-no-ns', 'view', [{ kind: 'ServiceAccount', name: 'x' }])));
    expect(sa.message).toBe('ClusterRoleBinding.rbac.authorization.k8s.io "sa-no-ns" is invalid: subjects[0].namespace: Required value');
    await cp.admin.create(RoleBindings, 'a', rb('a', 'fixed', 'ClusterRole', 'view', [user('alice'), { kind: 'Group', name: 'devs' }, { kind: 'ServiceAccount', name: 'robot', namespace: 'a' }]));
    const changed = await failure(cp.admin.patch(RoleBindings, 'a', 'fixed', { roleRef: { name: 'edit' } }, 'merge'));
    expect(changed.code).toBe(422);
    expect(changed.message).toMatch(/roleRef: Invalid value: .*: cannot change roleRef/);
    const table = await cp.admin.request<{ columnDefinitions: { name: string; priority: number }[]; rows: { cells: unknown[] }[] }>(`/apis/${RBAC}/v1/namespaces/a/rolebindings`, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
    });
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Role', 'Age', 'Users', 'Groups', 'ServiceAccounts']);
    expect(table.rows.find((r) => r.cells[0] === 'fixed')!.cells).toEqual(['fixed', 'ClusterRole/view', expect.any(String), 'alice', 'devs', 'a/robot']);
  });
});

describe('--anonymous-auth=false', () => {
  it('answers requests without credentials 401', async () => {
    const strict = await startControlPlane({ anonymousAuth: false });
    try {
      expect(await code(strict.clientWithToken(undefined).request('/healthz'))).toBe(401);
      expect(await code(strict.admin.request('/healthz'))).toBe(200);
    } finally {
      await strict.stop();
    }
  });
});
