// ServiceAccounts against the real apiserver and etcd, with the service account controllers the
// control plane runs: the default account and kube-root-ca.crt in every namespace, TokenRequests
// (REST and gRPC), what their tokens authenticate as and when they stop working, legacy token
// secrets, the pod admission plugin, and what nodes may do with the accounts of their pods.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigMap, KubeObject, Pod, Secret, ServiceAccount, TokenRequest } from '../../pkg/api/types.js';
import { GrpcApiClient } from '../../pkg/client/grpc-client.js';
import { core, Namespaces, Nodes, Pods, RoleBindings, Roles, ServiceAccounts, StatusError, type RestClient } from '../../pkg/client/rest-client.js';
import { unverifiedClaims } from '../../pkg/serviceaccount/jwt.js';
import { eventually, failure, node, pod, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

const ConfigMaps = core('configmaps');
const Secrets = core('secrets');
const ISSUER = 'https://kubernetes.default.svc.cluster.local';

let cp: TestControlPlane;
let admin: RestClient;

beforeAll(async () => {
  cp = await startControlPlane({ grpcPort: 0 });
  admin = cp.admin;
});
afterAll(async () => {
  await cp?.stop();
});

const sa = (name: string, extra: Record<string, unknown> = {}) => admin.create<ServiceAccount & KubeObject>(ServiceAccounts, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name }, ...extra });
const tokenFor = (name: string, spec: Record<string, unknown> = {}, client: RestClient = admin) =>
  client.createSubresource<TokenRequest & KubeObject>(ServiceAccounts, 'default', name, 'token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec });
/** The code a request with `token` gets for GET /api (200 when it authenticates). */
const apiCode = (token: string) => cp.clientWithToken(token).request('/api').then(() => 200, (e: StatusError) => e.code);
const gone = (p: Promise<unknown>) => p.then(() => false, (e) => e instanceof StatusError && e.code === 404);

describe('the ServiceAccount kind', () => {
  it('create, get (kubectl\'s table: NAME SECRETS AGE), list, update, delete', async () => {
    const created = await sa('robot', { secrets: [{ name: 'robot-token' }], imagePullSecrets: [{ name: 'registry' }], automountServiceAccountToken: false });
    expect(created).toMatchObject({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: 'default' }, automountServiceAccountToken: false });
    const table = await admin.request<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }>('/api/v1/namespaces/default/serviceaccounts/robot', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Secrets', 'Age']);
    expect(table.rows[0]!.cells.slice(0, 2)).toEqual(['robot', 1]);
    const list = await admin.list<ServiceAccount>(ServiceAccounts, 'default');
    expect(list.items.map((s) => s.metadata?.name).sort()).toEqual(['default', 'robot']);
    const updated = await admin.update<ServiceAccount>(ServiceAccounts, 'default', 'robot', { ...created, secrets: [] });
    // (secrets is omitempty: an update that empties it leaves none, as 1.32 stores it)
    expect(updated).not.toHaveProperty('secrets');
    const bad = await failure(sa('Robot_2'));
    expect(bad.code).toBe(422);
    expect(bad.message).toMatch(/^ServiceAccount "Robot_2" is invalid: metadata.name: Invalid value: "Robot_2": a lowercase RFC 1123 subdomain/);
    await admin.delete(ServiceAccounts, 'default', 'robot');
  });

  it('discovery: sa, and serviceaccounts/token creating authentication.k8s.io/v1 TokenRequests', async () => {
    const list = await admin.request<{ resources: Record<string, unknown>[] }>('/api/v1');
    expect(list.resources.find((r) => r.name === 'serviceaccounts')).toMatchObject({ kind: 'ServiceAccount', namespaced: true, shortNames: ['sa'] });
    expect(list.resources.find((r) => r.name === 'serviceaccounts/token')).toEqual({ name: 'serviceaccounts/token', singularName: '', namespaced: true, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] });
  });
});

describe('the service account controllers', () => {
  it('a new namespace gets the default ServiceAccount and kube-root-ca.crt holding the cluster CA', async () => {
    await admin.create(Namespaces, undefined, { metadata: { name: 'fresh' } });
    await eventually(() => admin.get(ServiceAccounts, 'fresh', 'default'), { what: 'default ServiceAccount' });
    const cm = await eventually(() => admin.get<ConfigMap>(ConfigMaps, 'fresh', 'kube-root-ca.crt'), { what: 'kube-root-ca.crt' });
    expect(cm.data).toEqual({ 'ca.crt': cp.server.caCert });
    expect(cm.metadata?.annotations?.['kubernetes.io/description']).toMatch(/^Contains a CA bundle that can be used to verify the kube-apiserver/);
  });

  it('the default ServiceAccount comes back when deleted; kube-root-ca.crt comes back when changed or deleted', async () => {
    const before = await admin.get(ServiceAccounts, 'fresh', 'default');
    await admin.delete(ServiceAccounts, 'fresh', 'default');
    const after = await eventually(() => admin.get(ServiceAccounts, 'fresh', 'default'), { what: 'default made again' });
    expect(after.metadata?.uid).not.toBe(before.metadata?.uid);

    await admin.patch(ConfigMaps, 'fresh', 'kube-root-ca.crt', { data: { 'ca.crt': 'tampered', extra: 'x' } }, 'merge');
    await eventually(async () => JSON.stringify((await admin.get<ConfigMap>(ConfigMaps, 'fresh', 'kube-root-ca.crt')).data) === JSON.stringify({ 'ca.crt': cp.server.caCert }), { what: 'the CA put back' });
    await admin.delete(ConfigMaps, 'fresh', 'kube-root-ca.crt');
    await eventually(() => admin.get(ConfigMaps, 'fresh', 'kube-root-ca.crt'), { what: 'kube-root-ca.crt made again' });
  });
});

describe('TokenRequest', () => {
  it('an hour, for the API audience, naming the account; the answer is the request with its status', async () => {
    const t0 = Date.now();
    await sa('builder');
    const tr = await tokenFor('builder');
    expect(tr).toMatchObject({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { name: 'builder', namespace: 'default' }, spec: { audiences: [ISSUER], expirationSeconds: 3600 } });
    const exp = Date.parse(tr.status!.expirationTimestamp!);
    expect(exp).toBeGreaterThanOrEqual(Math.floor(t0 / 1000) * 1000 + 3600_000);
    expect(exp).toBeLessThan(t0 + 3610_000);
    const builder = await admin.get(ServiceAccounts, 'default', 'builder');
    expect(unverifiedClaims(tr.status!.token!)).toMatchObject({ iss: ISSUER, sub: 'system:serviceaccount:default:builder', aud: [ISSUER], 'kubernetes.io': { namespace: 'default', serviceaccount: { name: 'builder', uid: builder.metadata!.uid } } });
    const custom = await tokenFor('builder', { audiences: ['vault'], expirationSeconds: 600 });
    expect(unverifiedClaims(custom.status!.token!)).toMatchObject({ aud: ['vault'] });
  });

  it('answers with the TokenRequest as 1.32 writes it: boundObjectRef null when not asked for, the nulls kubectl sends gone, times in UTC seconds', async () => {
    await sa('shaped');
    // (kubectl create token's request: its Go struct's nil fields written null)
    const tr = await admin.createSubresource<KubeObject>(ServiceAccounts, 'default', 'shaped', 'token', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: { creationTimestamp: null, labels: {} },
      spec: { audiences: null, boundObjectRef: null, expirationSeconds: null },
      status: { expirationTimestamp: null, token: '' },
    });
    const stamp = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const shaped = (spec: Record<string, unknown>) => ({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: { name: 'shaped', namespace: 'default', creationTimestamp: stamp },
      spec: { audiences: [ISSUER], expirationSeconds: 3600, boundObjectRef: null, ...spec },
      status: { token: expect.stringMatching(/^ey/), expirationTimestamp: stamp },
    });
    expect(tr).toEqual(shaped({}));
    // (a request with no boundObjectRef at all: TokenRequestSpec.BoundObjectRef has no omitempty)
    expect(await tokenFor('shaped', { audiences: ['vault'] })).toEqual(shaped({ audiences: ['vault'] }));
  });

  it('refuses lifetimes under 10 minutes, unknown accounts, and bindings that do not hold', async () => {
    const short = await failure(tokenFor('builder', { expirationSeconds: 599 }));
    expect([short.code, short.message]).toEqual([422, 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes']);
    const missing = await failure(tokenFor('nobody'));
    expect([missing.code, missing.message]).toEqual([404, 'serviceaccounts "nobody" not found']);
    await admin.create(Pods, 'default', pod('runs-as-default'));
    const other = await failure(tokenFor('builder', { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'runs-as-default' } }));
    expect([other.code, other.message]).toEqual([400, 'cannot bind token for serviceaccount "builder" to pod running with different serviceaccount name.']);
    const uid = await failure(tokenFor('default', { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'runs-as-default', uid: 'not-its-uid' } }));
    expect([uid.code, uid.message]).toEqual([409, 'Operation cannot be fulfilled on Pod "runs-as-default": the UID in the bound object reference (not-its-uid) does not match the UID in record. The object might have been deleted and then recreated']);
    const kind = await failure(tokenFor('default', { boundObjectRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } }));
    expect([kind.code, kind.message]).toEqual([400, 'cannot bind token to object of type apps/v1, Kind=Deployment']);
    const name = await failure(admin.createSubresource(ServiceAccounts, 'default', 'builder', 'token', { metadata: { name: 'other' }, spec: {} }));
    expect([name.code, name.message]).toEqual([422, 'TokenRequest.authentication.k8s.io "builder" is invalid: metadata.name: Invalid value: "other": must match the service account name if specified']);
    await admin.delete(Pods, 'default', 'runs-as-default');
  });
});

describe('service account tokens authenticate', () => {
  it('as system:serviceaccount:NS:NAME, who may read discovery, and what RBAC binds to the account', async () => {
    await sa('reader');
    const token = (await tokenFor('reader')).status!.token!;
    const client = cp.clientWithToken(token);
    for (const path of ['/api', '/api/v1', '/apis', '/version', '/healthz']) expect(await client.request(path)).toBeTruthy();
    const denied = await failure(client.list(Pods, 'default'));
    expect([denied.code, denied.message]).toEqual([403, 'pods is forbidden: User "system:serviceaccount:default:reader" cannot list resource "pods" in API group "" in the namespace "default"']);
    // (kubectl create role pod-reader --verb=get,list --resource=pods; kubectl create rolebinding reader --role=pod-reader --serviceaccount=default:reader)
    await admin.create(Roles, 'default', { metadata: { name: 'pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] });
    await admin.create(RoleBindings, 'default', { metadata: { name: 'reader' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'default' }] });
    await eventually(() => client.list(Pods, 'default'), { what: 'the account may list pods once bound to a role that allows it' });
    expect((await failure(client.list(Pods, 'kube-system'))).code).toBe(403);
  });

  it('issuer discovery: the OIDC configuration and the JWK set that verifies the tokens, readable by service accounts', async () => {
    await sa('verifier');
    const token = (await tokenFor('verifier')).status!.token!;
    const client = cp.clientWithToken(token);
    const config = await client.request<Record<string, unknown>>('/.well-known/openid-configuration');
    expect(config).toEqual({ issuer: ISSUER, jwks_uri: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+\/openid\/v1\/jwks$/), response_types_supported: ['id_token'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: [expect.stringMatching(/^(RS|ES)256$/)] });
    const set = await client.request<{ keys: (Record<string, string> & { kid: string })[] }>('/openid/v1/jwks');
    // The token's signature verifies with the published key of its kid.
    const [head, body, sig] = token.split('.');
    const kid = (JSON.parse(Buffer.from(head!, 'base64url').toString()) as { kid: string }).kid;
    const jwk = set.keys.find((k) => k.kid === kid)!;
    expect(jwk).toMatchObject({ use: 'sig', alg: config.id_token_signing_alg_values_supported && (config.id_token_signing_alg_values_supported as string[])[0] });
    const { createPublicKey, verify } = await import('node:crypto');
    const key = createPublicKey({ key: jwk as unknown as import('node:crypto').JsonWebKey, format: 'jwk' });
    const ok = verify(jwk.alg === 'RS256' ? 'sha256' : null, Buffer.from(`${head}.${body}`), jwk.alg === 'RS256' ? key : { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig!, 'base64url'));
    expect(ok).toBe(true);
  });

  it('until their ServiceAccount is deleted, even if one of the same name is made again', async () => {
    await sa('doomed');
    const token = (await tokenFor('doomed')).status!.token!;
    expect(await apiCode(token)).toBe(200);
    await admin.delete(ServiceAccounts, 'default', 'doomed');
    await eventually(async () => (await apiCode(token)) === 401, { what: '401 once the account is gone' });
    await sa('doomed');
    expect(await apiCode(token)).toBe(401);
  });

  it('bound to a pod, until the pod is deleted; for another audience, never here', async () => {
    await sa('worker');
    const p = await admin.create<Pod & KubeObject>(Pods, 'default', pod('worker-pod', { spec: { serviceAccountName: 'worker', containers: [{ name: 'main', image: 'busybox' }] } }));
    const tr = await tokenFor('worker', { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'worker-pod', uid: p.metadata!.uid } });
    expect(unverifiedClaims(tr.status!.token!)).toMatchObject({ 'kubernetes.io': { pod: { name: 'worker-pod', uid: p.metadata!.uid } } });
    expect(await apiCode(tr.status!.token!)).toBe(200);
    await admin.delete(Pods, 'default', 'worker-pod'); // unscheduled: gone at once
    await eventually(async () => (await apiCode(tr.status!.token!)) === 401, { what: '401 once the pod is gone' });
    const vault = (await tokenFor('worker', { audiences: ['vault'] })).status!.token!;
    expect(await apiCode(vault)).toBe(401);
  });

  it('bound to a Node (ServiceAccountTokenNodeBinding), until the Node is deleted', async () => {
    await sa('node-bound');
    const n = await admin.create(Nodes, undefined, node('token-node'));
    const tr = await tokenFor('node-bound', { boundObjectRef: { apiVersion: 'v1', kind: 'Node', name: 'token-node' } });
    expect(unverifiedClaims(tr.status!.token!)).toMatchObject({ 'kubernetes.io': { node: { name: 'token-node', uid: n.metadata!.uid } } });
    expect(await apiCode(tr.status!.token!)).toBe(200);
    await admin.delete(Nodes, undefined, 'token-node');
    await eventually(async () => (await apiCode(tr.status!.token!)) === 401, { what: '401 once the Node is gone' });
  });

  it('over gRPC too, where the node agents ask for them', async () => {
    const address = readFileSync(join(cp.dataDir, 'grpc-address'), 'utf8').trim();
    const ca = readFileSync(join(cp.dataDir, 'pki', 'ca.crt'), 'utf8');
    await sa('grpc-user');
    const adminToken = cp.config.token!;
    const grpcAdmin = new GrpcApiClient(address, { caCert: ca, token: adminToken });
    const tr = await grpcAdmin.createSubresource<TokenRequest>(ServiceAccounts, 'default', 'grpc-user', 'token', { spec: { expirationSeconds: 600 } });
    grpcAdmin.close();
    const asAccount = new GrpcApiClient(address, { caCert: ca, token: tr.status!.token! });
    const forged = new GrpcApiClient(address, { caCert: ca, token: `${tr.status!.token!.slice(0, -4)}AAAA` });
    try {
      const denied = await asAccount.list(Pods, 'default').catch((e: StatusError) => e);
      expect([(denied as StatusError).code, (denied as StatusError).message]).toEqual([403, expect.stringContaining('User "system:serviceaccount:default:grpc-user" cannot list resource "pods"')]);
      expect(((await forged.list(Pods, 'default').catch((e: StatusError) => e)) as StatusError).code).toBe(401);
    } finally {
      asAccount.close();
      forged.close();
    }
  });
});

describe('legacy token secrets', () => {
  it('are filled in by the token controller, authenticate while they exist, and go with their account', async () => {
    const account = await sa('legacy');
    await admin.create(Secrets, 'default', { metadata: { name: 'legacy-token', annotations: { 'kubernetes.io/service-account.name': 'legacy' } }, type: 'kubernetes.io/service-account-token' });
    const s = await eventually(async () => {
      const x = await admin.get<Secret & KubeObject>(Secrets, 'default', 'legacy-token');
      return x.data?.token ? x : undefined;
    }, { what: 'the token filled in' });
    const data = Object.fromEntries(Object.entries(s!.data!).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    expect(data['ca.crt']).toBe(cp.server.caCert);
    expect(data.namespace).toBe('default');
    expect(s!.metadata!.annotations!['kubernetes.io/service-account.uid']).toBe(account.metadata!.uid);
    expect(unverifiedClaims(data.token!)).toEqual({
      iss: 'kubernetes/serviceaccount',
      'kubernetes.io/serviceaccount/namespace': 'default',
      'kubernetes.io/serviceaccount/secret.name': 'legacy-token',
      'kubernetes.io/serviceaccount/service-account.name': 'legacy',
      'kubernetes.io/serviceaccount/service-account.uid': account.metadata!.uid,
      sub: 'system:serviceaccount:default:legacy',
    });
    expect(await apiCode(data.token!)).toBe(200);
    // (its use is recorded on the Secret: the day, UTC)
    await eventually(async () => (await admin.get(Secrets, 'default', 'legacy-token')).metadata?.labels?.['kubernetes.io/legacy-token-last-used'] === new Date().toISOString().slice(0, 10) || undefined, { what: 'the legacy-token-last-used label' });
    // (and since when that has been done, in the legacytokentracking controller's ConfigMap)
    const tracking = await admin.get<KubeObject & { data?: Record<string, string> }>({ group: '', version: 'v1', resource: 'configmaps', namespaced: true }, 'kube-system', 'kube-apiserver-legacy-service-account-token-tracking');
    expect(tracking.data).toEqual({ since: expect.stringMatching(/^\d{4}-\d\d-\d\d$/) });
    await admin.delete(Secrets, 'default', 'legacy-token');
    await eventually(async () => (await apiCode(data.token!)) === 401, { what: '401 once the secret is gone' });

    // A token secret goes with its account; one for an account that does not exist goes at once.
    await admin.create(Secrets, 'default', { metadata: { name: 'legacy-token-2', annotations: { 'kubernetes.io/service-account.name': 'legacy' } }, type: 'kubernetes.io/service-account-token' });
    await eventually(async () => !!(await admin.get<Secret>(Secrets, 'default', 'legacy-token-2')).data?.token, { what: 'second token' });
    await admin.delete(ServiceAccounts, 'default', 'legacy');
    await eventually(() => gone(admin.get(Secrets, 'default', 'legacy-token-2')), { what: 'the secret deleted with its account' });
    await admin.create(Secrets, 'default', { metadata: { name: 'orphan-token', annotations: { 'kubernetes.io/service-account.name': 'nobody' } }, type: 'kubernetes.io/service-account-token' });
    await eventually(() => gone(admin.get(Secrets, 'default', 'orphan-token')), { what: 'the orphan token secret deleted' });
  });
});

describe('pod admission', () => {
  it('pods run as default with the token volume; a missing account is 403; automount false leaves them without', async () => {
    const p = await admin.create<Pod & KubeObject>(Pods, 'default', pod('plain'));
    expect(p.spec?.serviceAccountName).toBe('default');
    expect(p.spec?.volumes?.[0]?.name).toMatch(/^kube-api-access-/);
    expect(p.spec?.containers?.[0]?.volumeMounts).toEqual([{ name: p.spec!.volumes![0]!.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
    const refused = await failure(admin.create(Pods, 'default', pod('lost', { spec: { serviceAccountName: 'ghost', containers: [{ name: 'main', image: 'busybox' }] } })));
    expect([refused.code, refused.status?.reason, refused.message]).toEqual([403, 'Forbidden', 'pods "lost" is forbidden: error looking up service account default/ghost: serviceaccount "ghost" not found']);
    await sa('quiet', { automountServiceAccountToken: false });
    const q = await admin.create<Pod & KubeObject>(Pods, 'default', pod('quiet-pod', { spec: { serviceAccountName: 'quiet', containers: [{ name: 'main', image: 'busybox' }] } }));
    expect(q.spec?.volumes).toBeUndefined();
    for (const n of ['plain', 'quiet-pod']) await admin.delete(Pods, 'default', n);
  });

  it('a pod made right after its namespace waits for the namespace\'s default account', async () => {
    await admin.create(Namespaces, undefined, { metadata: { name: 'instant' } });
    const p = await admin.create<Pod & KubeObject>(Pods, 'instant', pod('first'));
    expect(p.spec?.serviceAccountName).toBe('default');
  });
});

describe('nodes and the accounts of their pods', () => {
  it('a node gets tokens bound to its own pods only, reads their account and kube-root-ca.crt, nothing else', async () => {
    await sa('agent-sa');
    const mine = await admin.create<Pod & KubeObject>(Pods, 'default', pod('on-n1', { spec: { serviceAccountName: 'agent-sa', containers: [{ name: 'main', image: 'busybox' }] } }));
    const theirs = await admin.create<Pod & KubeObject>(Pods, 'default', pod('on-n2', { spec: { serviceAccountName: 'agent-sa', containers: [{ name: 'main', image: 'busybox' }] } }));
    await admin.bind('default', 'on-n1', 'n1');
    await admin.bind('default', 'on-n2', 'n2');
    await sa('unused-sa');
    const n1 = cp.nodeClient('n1');
    const bind = (p: KubeObject) => ({ boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: p.metadata!.name, uid: p.metadata!.uid } });
    await eventually(async () => (await admin.get<Pod>(Pods, 'default', 'on-n1')).spec?.nodeName === 'n1');

    const tr = await eventually(() => tokenFor('agent-sa', { ...bind(mine), expirationSeconds: 3607 }, n1), { what: 'a token for its own pod' });
    expect(unverifiedClaims(tr.status!.token!)).toMatchObject({ 'kubernetes.io': { pod: { name: 'on-n1' }, node: { name: 'n1' } } });
    const forbidden = async (p: Promise<unknown>) => {
      const e = await failure(p);
      return [e.code, e.message];
    };
    expect(await forbidden(tokenFor('agent-sa', {}, n1))).toEqual([403, 'serviceaccounts "agent-sa" is forbidden: node requested token not bound to a pod']);
    expect(await forbidden(tokenFor('agent-sa', { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'on-n1' } }, n1))).toEqual([403, 'serviceaccounts "agent-sa" is forbidden: node requested token with a pod binding without a uid']);
    expect(await forbidden(tokenFor('agent-sa', bind(theirs), n1))).toEqual([403, 'serviceaccounts "agent-sa" is forbidden: node requested token bound to a pod scheduled on a different node']);
    expect(await forbidden(tokenFor('unused-sa', {}, n1))).toEqual([403, 'serviceaccounts "unused-sa" is forbidden: User "system:node:n1" cannot create resource "serviceaccounts/token" in API group "" in the namespace "default": no relationship found between node \'n1\' and this object']);

    // (it may not read ServiceAccounts at all, its pods' own neither: 1.32's authorizeCreateToken)
    expect((await failure(n1.get(ServiceAccounts, 'default', 'agent-sa'))).message).toBe('serviceaccounts "agent-sa" is forbidden: User "system:node:n1" cannot get resource "serviceaccounts" in API group "" in the namespace "default": can only create tokens for individual service accounts');
    expect((await failure(n1.get(ServiceAccounts, 'default', 'unused-sa'))).code).toBe(403);
    expect((await failure(n1.list(ServiceAccounts, 'default'))).message).toBe('serviceaccounts is forbidden: User "system:node:n1" cannot list resource "serviceaccounts" in API group "" in the namespace "default": can only create tokens for individual service accounts');
    // The projected kube-root-ca.crt of its pods, and no other ConfigMap.
    expect((await n1.get<ConfigMap>(ConfigMaps, 'default', 'kube-root-ca.crt')).data?.['ca.crt']).toBe(cp.server.caCert);
    await admin.create(ConfigMaps, 'default', { metadata: { name: 'private' }, data: { a: 'b' } });
    expect((await failure(n1.get(ConfigMaps, 'default', 'private'))).code).toBe(403);
  });
});
