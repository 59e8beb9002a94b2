// The stock kubectl with RBAC, against an apiserver with token-file users and the controller
// manager (which aggregates view, edit and admin): get clusterroles, create role|rolebinding|
// clusterrole|clusterrolebinding (protobuf bodies), describe, auth can-i (with --as and
// --list), auth whoami, a user's own kubeconfig meeting 403s, impersonation, escalation.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTokenEntry, newToken, type TokenEntry } from '../../pkg/apiserver/pki.js';
import { ControllerManager, defaultControllerConfig } from '../../pkg/controllers/manager.js';
import { eventually, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt } from '../helpers/kubectl.js';

const users: TokenEntry[] = [
  { token: newToken(), user: 'admin', uid: 'admin', groups: ['system:masters'] },
  { token: newToken(), user: 'alice', uid: 'alice-uid', groups: [] },
];

let cp: TestControlPlane;
let cm: ControllerManager;
let dir: string;
let aliceConfig: string;

const kubectl = (...args: string[]) => kubectlAt(cp.kubeconfig, join(dir, 'cache'), args);
const asAlice = (...args: string[]) => kubectlAt(aliceConfig, join(dir, 'cache-alice'), args);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-kubectl-rbac-'));
  const tokenFile = join(dir, 'tokens.csv');
  writeFileSync(tokenFile, users.map(formatTokenEntry).join('\n') + '\n');
  cp = await startControlPlane({ tokenAuthFile: tokenFile });
  cm = new ControllerManager(cp.admin, { ...defaultControllerConfig, leaderElect: false, allocateNodeCIDRs: false });
  await cm.start();
  aliceConfig = join(dir, 'alice.kubeconfig');
  writeFileSync(aliceConfig, readFileSync(cp.kubeconfig, 'utf8').replace(/token: \S+/, `token: ${users[1]!.token}`));
});
afterAll(async () => {
  await cm?.stop();
  await cp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasKubectl)('kubectl with RBAC', () => {
  it('lists the default cluster roles and bindings', async () => {
    const roles = await kubectl('get', 'clusterroles');
    expect(roles.code).toBe(0);
    expect(roles.out).toMatch(/^NAME\s+CREATED AT\n/);
    for (const name of ['admin', 'cluster-admin', 'edit', 'view', 'system:basic-user', 'system:discovery', 'system:public-info-viewer', 'system:node-proxier', 'system:kube-scheduler', 'system:controller:replicaset-controller', 'system:certificates.k8s.io:certificatesigningrequests:nodeclient']) expect(roles.out).toMatch(new RegExp(`\\n${name}\\s+\\d{4}-\\d\\d-\\d\\dT`));
    // (and the namespaced defaults of kube-system and kube-public)
    expect((await kubectl('get', 'roles', '-n', 'kube-system', '-o', 'name')).out).toContain('role.rbac.authorization.k8s.io/extension-apiserver-authentication-reader\n');
    expect((await kubectl('get', 'rolebindings', '-n', 'kube-public', '-o', 'name')).out).toBe('rolebinding.rbac.authorization.k8s.io/system:controller:bootstrap-signer\n');
    const bindings = await kubectl('get', 'clusterrolebindings', '-o', 'wide');
    expect(bindings.out).toMatch(/^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS\n/);
    expect(bindings.out).toMatch(/\ncluster-admin\s+ClusterRole\/cluster-admin\s+\d+s\s+system:masters\s*\n/);
  });

  it('create role and rolebinding: alice can then read pods in a, nowhere else, and nothing more', async () => {
    expect(await kubectl('create', 'namespace', 'a')).toMatchObject({ code: 0 });
    expect(await kubectl('create', 'role', 'pod-reader', '--verb=get,list,watch', '--resource=pods', '-n', 'a')).toMatchObject({ code: 0, out: 'role.rbac.authorization.k8s.io/pod-reader created\n' });
    expect(await kubectl('create', 'rolebinding', 'alice-reads', '--role=pod-reader', '--user=alice', '-n', 'a')).toMatchObject({ code: 0, out: 'rolebinding.rbac.authorization.k8s.io/alice-reads created\n' });
    const described = await kubectl('describe', 'role', 'pod-reader', '-n', 'a');
    expect(described.out).toMatch(/PolicyRule:\n\s+Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs\n.*\n\s+pods\s+\[\]\s+\[\]\s+\[get list watch\]\n/);
    expect((await kubectl('describe', 'rolebinding', 'alice-reads', '-n', 'a')).out).toMatch(/Role:\n\s+Kind:\s+Role\n\s+Name:\s+pod-reader\nSubjects:\n\s+Kind\s+Name\s+Namespace\n.*\n\s+User\s+alice\s*\n/);
    expect((await kubectl('get', 'rolebindings', '-n', 'a', '-o', 'wide')).out).toMatch(/\nalice-reads\s+Role\/pod-reader\s+\d+s\s+alice\s*\n/);

    expect(await kubectl('auth', 'can-i', 'list', 'pods', '-n', 'a', '--as', 'alice')).toMatchObject({ code: 0, out: 'yes\n' });
    expect(await kubectl('auth', 'can-i', 'list', 'pods', '-n', 'b', '--as', 'alice')).toMatchObject({ code: 1, out: 'no\n' });
    expect(await kubectl('auth', 'can-i', 'create', 'pods', '-n', 'a', '--as', 'alice')).toMatchObject({ code: 1, out: 'no\n' });

    expect(await asAlice('get', 'pods', '-n', 'a')).toMatchObject({ code: 0, err: 'No resources found in a namespace.\n' });
    const other = await asAlice('get', 'pods', '-n', 'default');
    expect(other.code).toBe(1);
    expect(other.err).toBe('Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"\n');
    expect((await asAlice('run', 'x', '--image=busybox', '-n', 'a')).err).toBe('Error from server (Forbidden): pods is forbidden: User "alice" cannot create resource "pods" in API group "" in the namespace "a"\n');

    const list = await kubectl('auth', 'can-i', '--list', '-n', 'a', '--as', 'alice');
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs\n/);
    expect(list.out).toMatch(/\npods\s+\[\]\s+\[\]\s+\[get list watch\]\n/);
    expect(list.out).toMatch(/\nselfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]\n/);
    expect(list.out).toMatch(/\n\s+\[\/api\/\*\]\s+\[\]\s+\[get\]\n/);
  });

  it('a cluster role bound to a service account (the controller manager aggregates view)', async () => {
    expect(await kubectl('create', 'clusterrolebinding', 'x-views', '--clusterrole=view', '--serviceaccount=default:x')).toMatchObject({ code: 0, out: 'clusterrolebinding.rbac.authorization.k8s.io/x-views created\n' });
    await eventually(async () => (await kubectl('auth', 'can-i', 'list', 'pods', '--as=system:serviceaccount:default:x')).out === 'yes\n', { what: 'view aggregated and bound' });
    expect(await kubectl('auth', 'can-i', 'list', 'secrets', '--as=system:serviceaccount:default:x')).toMatchObject({ code: 1, out: 'no\n' });
    expect(await kubectl('create', 'clusterrole', 'metrics-reader', '--verb=get', '--non-resource-url=/metrics')).toMatchObject({ code: 0 });
    expect((await kubectl('describe', 'clusterrole', 'metrics-reader')).out).toMatch(/\n\s+\[\/metrics\]\s+\[\]\s+\[get\]\n/);
    expect(await kubectl('create', 'clusterrole', 'monitoring', '--aggregation-rule=rbac.example.com/aggregate-to-monitoring=true')).toMatchObject({ code: 0 });
    expect((await kubectl('get', 'clusterrole', 'monitoring', '-o', 'jsonpath={.aggregationRule.clusterRoleSelectors[0].matchLabels}')).out).toBe('{"rbac.example.com/aggregate-to-monitoring":"true"}');
  });

  it('a user bound to edit in a namespace uses kubectl there: apply, get all, secrets, but not RBAC', async () => {
    expect(await kubectl('create', 'namespace', 'b')).toMatchObject({ code: 0 });
    expect(await kubectl('create', 'rolebinding', 'alice-edits', '--clusterrole=edit', '--user=alice', '-n', 'b')).toMatchObject({ code: 0 });
    const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n';
    await eventually(async () => (await kubectlAt(aliceConfig, join(dir, 'cache-alice'), ['apply', '-n', 'b', '-f', '-'], manifest)).code === 0, { what: 'edit aggregated' });
    expect((await asAlice('get', 'configmap', 'settings', '-n', 'b', '-o', 'jsonpath={.data.a}')).out).toBe('b');
    expect(await asAlice('get', 'all', '-n', 'b')).toMatchObject({ code: 0, err: 'No resources found in b namespace.\n' });
    expect(await asAlice('create', 'secret', 'generic', 's', '--from-literal=k=v', '-n', 'b')).toMatchObject({ code: 0, out: 'secret/s created\n' });
    expect(await asAlice('auth', 'can-i', 'create', 'rolebindings', '-n', 'b')).toMatchObject({ code: 1, out: 'no\n' });
    expect(await asAlice('auth', 'can-i', 'create', 'configmaps', '-n', 'default')).toMatchObject({ code: 1, out: 'no\n' });
  });

  it('impersonation needs the impersonate verb; whoami shows who one acts as', async () => {
    const refused = await asAlice('auth', 'can-i', 'list', 'pods', '-n', 'a', '--as', 'bob');
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain('users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope');
    expect(await kubectl('create', 'clusterrole', 'impersonator', '--verb=impersonate', '--resource=users,groups')).toMatchObject({ code: 0 });
    expect(await kubectl('create', 'clusterrolebinding', 'alice-impersonates', '--clusterrole=impersonator', '--user=alice')).toMatchObject({ code: 0 });
    await eventually(async () => (await asAlice('auth', 'can-i', 'list', 'pods', '-n', 'a', '--as', 'bob')).out === 'no\n', { what: 'alice acts as bob' });
    expect(await asAlice('auth', 'can-i', 'list', 'pods', '-n', 'a')).toMatchObject({ code: 0, out: 'yes\n' });
    const whoami = await asAlice('auth', 'whoami', '--as', 'bob', '--as-group', 'devs');
    expect(whoami.out).toMatch(/^ATTRIBUTE\s+VALUE\nUsername\s+bob\nGroups\s+\[devs system:authenticated\]\n$/);
  });

  it('an admin of a namespace cannot grant what it does not hold', async () => {
    expect(await kubectl('create', 'rolebinding', 'alice-admin', '--clusterrole=admin', '--user=alice', '-n', 'a')).toMatchObject({ code: 0 });
    await eventually(async () => (await asAlice('auth', 'can-i', 'create', 'roles', '-n', 'a')).out === 'yes\n', { what: 'alice admin in a' });
    await eventually(async () => (await asAlice('create', 'role', 'deployer', '--verb=create,delete', '--resource=deployments.apps', '-n', 'a')).code === 0, { what: 'admin aggregated' });
    const refused = await asAlice('create', 'role', 'node-reader', '--verb=list', '--resource=nodes', '-n', 'a');
    expect(refused.code).toBe(1);
    expect(refused.err).toBe(
      'Error from server (Forbidden): roles.rbac.authorization.k8s.io "node-reader" is forbidden: user "alice" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["list"]}\n',
    );
    const bind = await asAlice('create', 'rolebinding', 'root', '--clusterrole=cluster-admin', '--user=alice', '-n', 'a');
    expect(bind.code).toBe(1);
    expect(bind.err).toMatch(/rolebindings\.rbac\.authorization\.k8s\.io "root" is forbidden: user "alice" .* is attempting to grant RBAC permissions not currently held:/);
  });

  it('auth reconcile creates, then updates roles and re-creates a binding whose roleRef changed (protobuf updates with managedFields, rbac DeleteOptions)', async () => {
    const file = join(dir, 'reconcile.yaml');
    const write = (verbs: string, roleRef: string) =>
      writeFileSync(
        file,
        `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: rec, namespace: a}\nrules: [{apiGroups: [""], resources: [configmaps], verbs: [${verbs}]}]\n---\n` +
          `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: rec-cluster}\nrules: [{apiGroups: [""], resources: [nodes], verbs: [get]}]\n---\n` +
          `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rec-binding, namespace: a}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ${roleRef}}\nsubjects: [{kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}]\n`,
      );
    await kubectl('create', 'namespace', 'a');
    write('get', 'Role, name: rec');
    const first = await kubectl('auth', 'reconcile', '-f', file);
    expect(first).toMatchObject({ code: 0, out: 'role.rbac.authorization.k8s.io/rec reconciled\nclusterrole.rbac.authorization.k8s.io/rec-cluster reconciled\nrolebinding.rbac.authorization.k8s.io/rec-binding reconciled\n' });
    expect(first.err).toContain('\treconciliation required create\n\tmissing rules added:\n\t\t{Verbs:[get] APIGroups:[] Resources:[configmaps] ResourceNames:[] NonResourceURLs:[]}\n');
    write('get, list', 'ClusterRole, name: rec-cluster');
    const second = await kubectl('auth', 'reconcile', '-f', file);
    expect(second).toMatchObject({ code: 0, out: 'role.rbac.authorization.k8s.io/rec reconciled\nclusterrole.rbac.authorization.k8s.io/rec-cluster reconciled\nrolebinding.rbac.authorization.k8s.io/rec-binding reconciled\n' });
    expect(second.err).toContain('\treconciliation required recreate\n');
    expect((await kubectl('get', 'rolebinding', 'rec-binding', '-n', 'a', '-o', 'jsonpath={.roleRef.kind}/{.roleRef.name}')).out).toBe('ClusterRole/rec-cluster');
    expect((await kubectl('get', 'role', 'rec', '-n', 'a', '-o', 'jsonpath={.rules[*].verbs}')).out).toBe('["get"] ["list"]');
  });
});
