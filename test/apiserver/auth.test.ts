// Authentication and authorization: a bad token is 401, no token is system:anonymous (403 but
// for health and version); a node may write only its own Node and
// Lease and the status of pods bound to it (403 otherwise); the scheduler binds but cannot
// delete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateSigningRequests, core, EndpointSlices, Leases, Namespaces, Nodes, Pods, Services, StatusError } from '../../pkg/client/rest-client.js';
import { eventually, node, pod, startControlPlane, statusCode as code, type TestControlPlane } from '../helpers/control-plane.js';
import { loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { RestClient } from '../../pkg/client/rest-client.js';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { hasKubectl } from '../helpers/kubectl.js';

let cp: TestControlPlane;
const withLabels = (o: Record<string, unknown>, labels: Record<string, string>) => ({ ...o, metadata: { ...(o.metadata as object), labels: { ...(o.metadata as { labels: object }).labels, ...labels } } });

beforeAll(async () => {
  cp = await startControlPlane();
  await cp.admin.create(Nodes, undefined, node('n1'));
  await cp.admin.create(Nodes, undefined, node('n2'));
  await cp.admin.create(Pods, 'default', pod('on-n1'));
  await cp.admin.bind('default', 'on-n1', 'n1');
  await cp.admin.create(Pods, 'default', pod('on-n2'));
  await cp.admin.bind('default', 'on-n2', 'n2');
});
afterAll(async () => {
  await cp?.stop();
});

describe('authentication', () => {
  it('a request without a token is system:anonymous (403); a bad token gets 401 with a Status', async () => {
    const anon = cp.clientWithToken(undefined);
    const denied = await anon.list(Pods, 'default').catch((x: StatusError) => x);
    expect((denied as StatusError).code).toBe(403);
    expect((denied as StatusError).message).toBe('pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"');
    const bad = cp.clientWithToken('not-a-token');
    const e = await bad.list(Pods, 'default').catch((x: StatusError) => x);
    expect((e as StatusError).status).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });

  it('health and version endpoints answer without credentials', async () => {
    const anon = cp.clientWithToken(undefined);
    expect(await anon.request('/healthz')).toBe('ok');
    expect(await anon.request<{ major: string }>('/version')).toMatchObject({ major: '1' });
  });

  it('TLS is verified against the generated CA', async () => {
    const other = new RestClient({ ...cp.config, caCert: undefined });
    try {
      await expect(other.list(Pods, 'default')).rejects.toThrow(/certificate/);
    } finally {
      other.close();
    }
  });
});

describe('node authorization', () => {
  it('a node writes its own Node and Lease, not another node\'s', async () => {
    const n1 = cp.nodeClient('n1');
    expect(await code(n1.patch(Nodes, undefined, 'n1', { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, 'merge', 'status'))).toBe(200);
    // (NodeRestriction's words: the node authorizer lets the request through to admission)
    const other = await n1.patch(Nodes, undefined, 'n2', { metadata: { labels: { evil: 'yes' } } }, 'merge').catch((x: StatusError) => x);
    expect([(other as StatusError).code, (other as StatusError).message]).toEqual([403, 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"']);
    expect((await n1.create(Nodes, undefined, node('n9')).catch((x: StatusError) => x) as StatusError).message).toBe('nodes "n9" is forbidden: node "n1" is not allowed to modify node "n9"');
    expect(await code(n1.create(Leases, 'kube-node-lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1' }, spec: { holderIdentity: 'n1' } }))).toBe(200);
    expect(await code(n1.create(Leases, 'kube-node-lease', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n2' }, spec: { holderIdentity: 'n1' } }))).toBe(403);
    expect(await code(n1.delete(Nodes, undefined, 'n2'))).toBe(403);
  });

  it('a node lists Namespaces, EndpointSlices and Services: its agent serves the cluster DNS and the service proxy', async () => {
    // (a 1.32 kubelet may not list Namespaces, but the node agent plays CoreDNS and kube-proxy
    // with the node's credentials: their informers need these reads)
    const n1 = cp.nodeClient('n1');
    expect(await code(n1.list(Namespaces))).toBe(200);
    expect(await code(n1.list(EndpointSlices))).toBe(200);
    expect(await code(n1.list(Services))).toBe(200);
  });

  it('a node cannot change its own taints nor set restricted labels (NodeRestriction), but may set its own', async () => {
    await cp.admin.patch(Nodes, undefined, 'n1', { spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } }, 'merge');
    const n1 = cp.nodeClient('n1');
    const untaint = await n1.patch(Nodes, undefined, 'n1', { spec: { taints: null } }, 'merge').catch((x: StatusError) => x);
    expect((untaint as StatusError).code).toBe(403);
    expect((untaint as StatusError).message).toBe('nodes "n1" is forbidden: node "n1" is not allowed to modify taints');
    const role = await n1.patch(Nodes, undefined, 'n1', { metadata: { labels: { 'node-role.kubernetes.io/control-plane': '' } } }, 'merge').catch((x: StatusError) => x);
    expect((role as StatusError).code).toBe(403);
    expect((role as StatusError).message).toBe('nodes "n1" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/control-plane');
    expect(await code(n1.patch(Nodes, undefined, 'n1', { metadata: { labels: { team: 'a', 'topology.kubernetes.io/zone': 'z1' } } }, 'merge'))).toBe(200);
    const stored = (await cp.admin.get(Nodes, undefined, 'n1')) as { spec?: { taints?: unknown[] }; metadata?: { labels?: Record<string, string> } };
    expect(stored.spec?.taints).toEqual([{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
    expect(stored.metadata?.labels).toMatchObject({ team: 'a', 'topology.kubernetes.io/zone': 'z1' });
    expect(stored.metadata?.labels?.['node-role.kubernetes.io/control-plane']).toBeUndefined();
    // (the admin may still change both)
    expect(await code(cp.admin.patch(Nodes, undefined, 'n1', { spec: { taints: null }, metadata: { labels: { 'node-role.kubernetes.io/db': '' } } }, 'merge'))).toBe(200);
  });

  it('a mirror pod (no service account) does not let its node create tokens of the namespace\'s default ServiceAccount, which it may never read', async () => {
    await cp.admin.create(core('namespaces', false), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mirror-ns' } });
    await eventually(async () => (await cp.admin.get(core('serviceaccounts'), 'mirror-ns', 'default')).metadata?.name === 'default', { what: 'default account' });
    const n1 = cp.nodeClient('n1');
    const uid = (await cp.admin.get(Nodes, undefined, 'n1')).metadata!.uid;
    const base = pod('static-n1');
    const mirror = { ...base, metadata: { name: 'static-n1', annotations: { 'kubernetes.io/config.mirror': 'h' }, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid, controller: true }] }, spec: { ...(base.spec as Record<string, unknown>), nodeName: 'n1' } };
    expect(await code(n1.create(Pods, 'mirror-ns', mirror))).toBe(200);
    const tokenFor = (podName: string, uid?: string) => n1.createSubresource(core('serviceaccounts'), 'mirror-ns', 'default', 'token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: podName, uid } } });
    const none = await tokenFor('static-n1').catch((x: StatusError) => x);
    expect((none as StatusError).message).toBe('serviceaccounts "default" is forbidden: User "system:node:n1" cannot create resource "serviceaccounts/token" in API group "" in the namespace "mirror-ns": no relationship found between node \'n1\' and this object');
    // (a pod of an account bound to the node does; reading the account stays refused, as 1.32's authorizeCreateToken refuses it)
    await cp.admin.create(Pods, 'mirror-ns', pod('with-sa'));
    await cp.admin.bind('mirror-ns', 'with-sa', 'n1');
    const podUid = (await cp.admin.get(Pods, 'mirror-ns', 'with-sa')).metadata!.uid;
    await eventually(async () => (await code(tokenFor('with-sa', podUid))) === 200, { what: 'the node may create tokens of its pod\'s account' });
    const read = await n1.get(core('serviceaccounts'), 'mirror-ns', 'default').catch((x: StatusError) => x);
    expect((read as StatusError).message).toBe('serviceaccounts "default" is forbidden: User "system:node:n1" cannot get resource "serviceaccounts" in API group "" in the namespace "mirror-ns": can only create tokens for individual service accounts');
  });

  it('a node asks for its own kubelet certificates only (NodeRestriction\'s admitCSR)', async () => {
    const n1 = cp.nodeClient('n1');
    const dir = mkdtempSync(join(tmpdir(), 'tskube-node-csr-'));
    try {
      const request = (cn: string) => {
        execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'k.pem', '-out', 'r.pem', '-subj', `/O=system:nodes/CN=${cn}`], { cwd: dir, stdio: 'ignore' });
        return readFileSync(join(dir, 'r.pem')).toString('base64');
      };
      const csr = (name: string, cn: string, signerName = 'kubernetes.io/kube-apiserver-client-kubelet') => ({ apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name }, spec: { request: request(cn), signerName, usages: ['digital signature', 'client auth'] } });
      expect(await code(n1.create(CertificateSigningRequests, undefined, csr('n1-client', 'system:node:n1')))).toBe(200);
      expect(await code(n1.get(CertificateSigningRequests, undefined, 'n1-client'))).toBe(200);
      const other = await n1.create(CertificateSigningRequests, undefined, csr('n1-as-n2', 'system:node:n2')).catch((x: StatusError) => x);
      expect((other as StatusError).message).toBe('certificatesigningrequests.certificates.k8s.io "n1-as-n2" is forbidden: can only create a node CSR with CN=system:node:n1');
      const approve = await n1.update(CertificateSigningRequests, undefined, 'n1-client', await n1.get(CertificateSigningRequests, undefined, 'n1-client'), 'approval').catch((x: StatusError) => x);
      expect((approve as StatusError).message).toBe('certificatesigningrequests.certificates.k8s.io "n1-client" is forbidden: User "system:node:n1" cannot update resource "certificatesigningrequests/approval" in API group "certificates.k8s.io" at the cluster scope');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a node registers with the kubelet\'s labels, not with restricted ones', async () => {
    const n3 = cp.nodeClient('n3');
    const bad = await n3.create(Nodes, undefined, withLabels(node('n3'), { 'node-restriction.kubernetes.io/secure': 'true' })).catch((x: StatusError) => x);
    expect((bad as StatusError).code).toBe(403);
    expect((bad as StatusError).message).toBe('nodes "n3" is forbidden: node "n3" is not allowed to set the following labels: node-restriction.kubernetes.io/secure');
    expect(await code(n3.create(Nodes, undefined, withLabels(node('n3'), { 'kubernetes.io/os': 'linux' })))).toBe(200);
  });

  it('a node writes the status of pods bound to it only, and cannot create or bind pods', async () => {
    const n1 = cp.nodeClient('n1');
    expect(await code(n1.patch(Pods, 'default', 'on-n1', { status: { phase: 'Running' } }, 'merge', 'status'))).toBe(200);
    const e = await n1.patch(Pods, 'default', 'on-n2', { status: { phase: 'Running' } }, 'merge', 'status').catch((x: StatusError) => x);
    expect((e as StatusError).code).toBe(403);
    expect((e as StatusError).status).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
    expect((e as StatusError).message).toBe('pods "on-n2" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself');
    const labels = await n1.patch(Pods, 'default', 'on-n1', { metadata: { labels: { x: 'y' } } }, 'merge', 'status').catch((x: StatusError) => x);
    expect((labels as StatusError).message).toBe('pods "on-n1" is forbidden: node "n1" cannot update labels through pod status');
    const del = await n1.delete(Pods, 'default', 'on-n2').catch((x: StatusError) => x);
    expect((del as StatusError).message).toBe('pods "on-n2" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself');
    const update = await n1.patch(Pods, 'default', 'on-n1', { metadata: { labels: { x: 'y' } } }, 'merge').catch((x: StatusError) => x);
    expect((update as StatusError).message).toBe('pods "on-n1" is forbidden: User "system:node:n1" cannot patch resource "pods" in API group "" in the namespace "default"');
    expect(await code(n1.create(Pods, 'default', pod('sneaky')))).toBe(403);
    expect(await code(n1.list(Pods, 'default'))).toBe(200);
  });

  it('a node evicts the pods bound to it, and only those (the Node authorizer, NodeRestriction\'s admitPodEviction)', async () => {
    const n1 = cp.nodeClient('n1');
    for (const name of ['evict-n1', 'evict-n2']) await cp.admin.create(Pods, 'default', pod(name));
    await cp.admin.bind('default', 'evict-n1', 'n1');
    await cp.admin.bind('default', 'evict-n2', 'n2');
    const evict = (name: string) => n1.request(`${n1.path(Pods, 'default')}/${name}/eviction`, { method: 'POST', body: JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' } }), contentType: 'application/json' });
    const other = await evict('evict-n2').catch((x: StatusError) => x);
    expect([(other as StatusError).code, (other as StatusError).message]).toEqual([403, 'pods "evict-n2" is forbidden: node n1 can only evict pods with spec.nodeName set to itself']);
    expect((await cp.admin.get(Pods, 'default', 'evict-n2')).metadata?.deletionTimestamp).toBeUndefined();
    const gone = await evict('no-such-pod').catch((x: StatusError) => x);
    expect([(gone as StatusError).code, (gone as StatusError).message]).toEqual([404, 'pods "no-such-pod" not found']);
    await evict('evict-n1');
    // (a pod bound to a node is deleted gracefully: its agent confirms the delete)
    expect((await cp.admin.get(Pods, 'default', 'evict-n1')).metadata?.deletionTimestamp).toEqual(expect.any(String));
    for (const name of ['evict-n1', 'evict-n2']) await cp.admin.delete(Pods, 'default', name, { gracePeriodSeconds: 0 });
  });

  it('the scheduler binds, writes pod status and deletes pods (preemption), but cannot delete nodes', async () => {
    const sched = new RestClient(loadKubeconfig(join(cp.dataDir, 'scheduler.kubeconfig')));
    try {
      await cp.admin.create(Pods, 'default', pod('to-bind'));
      expect(await code(sched.bind('default', 'to-bind', 'n1'))).toBe(200);
      expect(await code(sched.delete(Nodes, undefined, 'n2'))).toBe(403);
      expect(await code(sched.list(Nodes))).toBe(200);
      expect(await code(sched.delete(Pods, 'default', 'to-bind'))).toBe(200);
    } finally {
      sched.close();
    }
  });
});

describe('metrics', () => {
  it('serves Prometheus metrics to those allowed the path (admins, system:monitoring) only', async () => {
    await cp.admin.list(Pods, 'default');
    const h = await cp.admin.watch(Pods, 'default', {}, () => {});
    try {
      const text = await cp.admin.request<string>('/metrics', { accept: 'text/plain' });
      expect(text).toMatch(/apiserver_request_total\{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1"\} \d+/);
      expect(text).toMatch(/apiserver_request_duration_seconds_bucket\{[^}]*verb="LIST",version="v1",le="0\.005"\}/);
      expect(text).toMatch(/apiserver_registered_watchers\{resource="pods"\} [1-9]/);
      expect(text).toMatch(/etcd_request_duration_seconds_count\{operation="get",type="pods"\} \d+/);
      expect(text).toMatch(/process_resident_memory_bytes \d+/);
    } finally {
      h.stop();
    }
    const anon = await cp.clientWithToken(undefined).request('/metrics').catch((x: StatusError) => x);
    expect((anon as StatusError).code).toBe(403);
    expect((anon as StatusError).message).toBe('forbidden: User "system:anonymous" cannot get path "/metrics"');
    expect(await code(cp.nodeClient('n1').request('/metrics'))).toBe(403);
  });
});

describe('SelfSubjectAccessReview (kubectl auth can-i)', () => {
  const review = (c: RestClient, spec: Record<string, unknown>) =>
    c.request<{ kind: string; status: { allowed: boolean; reason?: string } }>('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { method: 'POST', body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec } });

  it('answers from the same authorizer the requests meet, and is listed in discovery', async () => {
    expect((await review(cp.admin, { resourceAttributes: { verb: 'delete', resource: 'nodes', name: 'n1' } })).status).toEqual({ allowed: true });
    const n1 = cp.nodeClient('n1');
    expect((await review(n1, { resourceAttributes: { verb: 'patch', resource: 'pods', subresource: 'status', namespace: 'default', name: 'on-n1' } })).status.allowed).toBe(true);
    // (as 1.32's Node authorizer: any pod's status; NodeRestriction admission then refuses another node's)
    expect((await review(n1, { resourceAttributes: { verb: 'patch', resource: 'pods', subresource: 'status', namespace: 'default', name: 'on-n2' } })).status.allowed).toBe(true);
    expect((await review(n1, { resourceAttributes: { verb: 'update', resource: 'pods', namespace: 'default', name: 'on-n1' } })).status).toEqual({ allowed: false });
    // (creates are authorized; NodeRestriction admits the node's mirror pods only)
    expect((await review(n1, { resourceAttributes: { verb: 'create', resource: 'pods', namespace: 'default' } })).status.allowed).toBe(true);
    expect((await review(n1, { nonResourceAttributes: { verb: 'get', path: '/healthz' } })).status.allowed).toBe(true);
    expect((await review(n1, { nonResourceAttributes: { verb: 'post', path: '/metrics' } })).status.allowed).toBe(false);
    const bad = await review(cp.admin, {}).catch((e: StatusError) => e);
    expect((bad as StatusError).code).toBe(422);
    const list = await cp.admin.request<{ resources: { name: string; verbs: string[] }[] }>('/apis/authorization.k8s.io/v1');
    expect(list.resources).toContainEqual(expect.objectContaining({ name: 'selfsubjectaccessreviews', verbs: ['create'] }));
  });

  it('kubectl auth can-i (a protobuf body): yes for the admin, a bare no for a node (the Node authorizer gives no reason there)', async () => {
    if (!hasKubectl) return;
    const run = (kubeconfig: string, ...args: string[]) =>
      new Promise<{ code: number | null; out: string }>((res) => {
        const c = spawn('kubectl', ['--kubeconfig', kubeconfig, 'auth', 'can-i', ...args], { env: { ...process.env, KUBECACHEDIR: join(cp.dataDir, 'kubecache') } });
        let out = '';
        c.stdout.on('data', (b: Buffer) => (out += b));
        c.stderr.on('data', (b: Buffer) => (out += b));
        c.on('close', (code) => res({ code, out }));
      });
    expect(await run(cp.kubeconfig, 'create', 'pods')).toEqual({ code: 0, out: 'yes\n' });
    const nodeKubeconfig = join(cp.dataDir, 'n1.kubeconfig');
    writeFileSync(nodeKubeconfig, readFileSync(cp.kubeconfig, 'utf8').replace(/token: \S+/, `token: ${cp.nodeClient('n1').config.token}`));
    // (a node may create pods, as Kubernetes' Node authorizer says; NodeRestriction admits mirror pods of its own only)
    expect(await run(nodeKubeconfig, 'create', 'pods')).toEqual({ code: 0, out: 'yes\n' });
    expect(await run(nodeKubeconfig, 'update', 'pods')).toEqual({ code: 1, out: 'no\n' });
  });
});
