// kube-system/extension-apiserver-authentication as kube-apiserver 1.32 publishes it (its
// start-cluster-authentication-info-controller post-start hook) and kube-scheduler 1.32 reads it
// (DelegatingAuthenticationOptions' in-cluster lookup, followed by DynamicCAFromConfigMapController):
// a client certificate the cluster CA signed gets the scheduler's /metrics without --client-ca-file,
// and a CA added to the ConfigMap is trusted while the scheduler runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureKubeletClientCert, ensurePki } from '../../pkg/apiserver/pki.js';
import { GrpcApiClient } from '../../pkg/client/grpc-client.js';
import { loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { RestClient, RoleBindings, ServiceAccounts, StatusError, type ResourceRef } from '../../pkg/client/rest-client.js';
import { eventually, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { freePort } from '../helpers/ports.js';
import { scrape } from '../helpers/scrape.js';

const ConfigMaps: ResourceRef = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
const NAME = 'extension-apiserver-authentication';

let cp: TestControlPlane;
let scheduler: RestClient;
const children: ChildProcess[] = [];
const otherDir = mkdtempSync(join(tmpdir(), 'tskube-other-ca-'));

beforeAll(async () => {
  cp = await startControlPlane({}, { serviceAccountControllers: false });
  scheduler = new RestClient(loadKubeconfig(join(cp.dataDir, 'scheduler.kubeconfig')));
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  scheduler?.close();
  await cp?.stop();
  rmSync(otherDir, { recursive: true, force: true });
});

const data = async () => ((await cp.admin.get(ConfigMaps, 'kube-system', NAME)) as { data?: Record<string, string> }).data;

/** GET `path` over HTTPS with a client certificate (or none), not checking the server. */
function getWith(port: number, path: string, pair?: { cert: string; key: string }): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    request({ host: '127.0.0.1', port, path, rejectUnauthorized: false, agent: false, ...pair }, (r) => {
      let body = '';
      r.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => res({ status: r.statusCode!, body }));
    }).on('error', rej).end();
  });
}

describe('kube-system/extension-apiserver-authentication', () => {
  it("holds the apiserver's client CA (the cluster CA) and no requestheader key, as soon as the apiserver is ready", async () => {
    expect(await data()).toEqual({ 'client-ca-file': cp.server.caCert });
  });

  it('is readable by the scheduler by name, as the extension-apiserver-authentication-reader Role allows: a get, and a list or watch with its metadata.name fieldSelector', async () => {
    expect((await scheduler.get(ConfigMaps, 'kube-system', NAME)).metadata?.name).toBe(NAME);
    const listed = await scheduler.list(ConfigMaps, 'kube-system', { fieldSelector: `metadata.name=${NAME}` });
    expect(listed.items.map((i) => i.metadata?.name)).toEqual([NAME]);
  });

  it('a role with resourceNames allows a list or watch whose fieldSelector names the object, as RequestInfoFactory names it, and no other list', async () => {
    // (a service account given only the Role, bound in kube-system)
    await cp.admin.create(ServiceAccounts, 'kube-system', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'auth-reader', namespace: 'kube-system' } });
    await cp.admin.create(RoleBindings, 'kube-system', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'auth-reader', namespace: 'kube-system' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'extension-apiserver-authentication-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'auth-reader', namespace: 'kube-system' }] });
    const tr = await cp.admin.request<{ status: { token: string } }>('/api/v1/namespaces/kube-system/serviceaccounts/auth-reader/token', { method: 'POST', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} } });
    const reader = cp.clientWithToken(tr.status.token);
    await eventually(async () => (await reader.get(ConfigMaps, 'kube-system', NAME).catch(() => undefined))?.metadata?.name === NAME, { what: 'the binding in effect' });
    const listed = await reader.list(ConfigMaps, 'kube-system', { fieldSelector: `metadata.name=${NAME}` });
    expect(listed.items.map((i) => i.metadata?.name)).toEqual([NAME]);
    const watched: string[] = [];
    const w = await reader.watch(ConfigMaps, 'kube-system', { fieldSelector: `metadata.name=${NAME}`, resourceVersion: listed.metadata.resourceVersion }, (e) => watched.push(e.type));
    w.stop();
    const refused = await reader.list(ConfigMaps, 'kube-system', {}).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StatusError);
    expect((refused as StatusError).code).toBe(403);
    expect((refused as StatusError).message).toBe('configmaps is forbidden: User "system:serviceaccount:kube-system:auth-reader" cannot list resource "configmaps" in API group "" in the namespace "kube-system"');
    const other = await reader.list(ConfigMaps, 'kube-system', { fieldSelector: 'metadata.name=kube-proxy' }).catch((e: unknown) => e);
    expect((other as StatusError).message).toBe('configmaps "kube-proxy" is forbidden: User "system:serviceaccount:kube-system:auth-reader" cannot list resource "configmaps" in API group "" in the namespace "kube-system"');
    // (the gRPC frontend alike)
    const grpc = new GrpcApiClient(readFileSync(join(cp.dataDir, 'grpc-address'), 'utf8').trim(), { caCert: cp.server.caCert, token: tr.status.token });
    try {
      expect((await grpc.list(ConfigMaps, 'kube-system', { fieldSelector: `metadata.name=${NAME}` })).items.map((i) => i.metadata?.name)).toEqual([NAME]);
      const gw = await grpc.watch(ConfigMaps, 'kube-system', { fieldSelector: `metadata.name=${NAME}` }, () => {});
      gw.stop();
      expect(((await grpc.list(ConfigMaps, 'kube-system', {}).catch((e: unknown) => e)) as StatusError).code).toBe(403);
    } finally {
      grpc.close();
    }
  });

  it('is written again when deleted, and keeps a CA someone added before its own', async () => {
    await cp.admin.delete(ConfigMaps, 'kube-system', NAME);
    await eventually(async () => (await data().catch(() => undefined))?.['client-ca-file'] === cp.server.caCert, { timeoutMs: 5000, what: 'the ConfigMap written again' });
  });
});

describe("the scheduler's secure port without --client-ca-file", () => {
  it('trusts client certificates the cluster CA signed, and a CA added to the ConfigMap while it runs', async () => {
    const port = await freePort();
    const kubeconfig = join(cp.dataDir, 'scheduler.kubeconfig');
    const child = spawn(process.execPath, [resolve(__dirname, '../../dist/cmd/scheduler/main.js'), '--kubeconfig', kubeconfig, '--bind-address', '127.0.0.1', '--secure-port', String(port), '--authentication-kubeconfig', kubeconfig, '--authorization-kubeconfig', kubeconfig], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TSKUBE_LOG_LEVEL: 'warn' } });
    children.push(child);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    await eventually(async () => (await scrape(`https://127.0.0.1:${port}/healthz`).catch(() => undefined))?.body === 'ok', { timeoutMs: 20_000, what: 'the scheduler serving' });
    // (kubeadm's apiserver-kubelet-client pair: O kubeadm:cluster-admins, bound to cluster-admin)
    const member = { cert: readFileSync(join(cp.dataDir, 'pki', 'apiserver-kubelet-client.crt'), 'utf8'), key: readFileSync(join(cp.dataDir, 'pki', 'apiserver-kubelet-client.key'), 'utf8') };
    const metrics = await getWith(port, '/metrics', member);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/^process_cpu_seconds_total /m);
    expect(JSON.parse((await getWith(port, '/metrics')).body).message).toBe('forbidden: User "system:anonymous" cannot get path "/metrics"');
    // A pair of another CA: refused until that CA is in the ConfigMap, then trusted.
    await ensurePki(otherDir, ['127.0.0.1']);
    const stranger = await ensureKubeletClientCert(otherDir);
    expect((await getWith(port, '/metrics', stranger)).status).toBe(401);
    const cm = await cp.admin.get(ConfigMaps, 'kube-system', NAME);
    const otherCA = readFileSync(join(otherDir, 'pki', 'ca.crt'), 'utf8');
    await cp.admin.update(ConfigMaps, 'kube-system', NAME, { ...cm, data: { 'client-ca-file': otherCA + cp.server.caCert } });
    await eventually(async () => (await getWith(port, '/metrics', stranger)).status === 200, { timeoutMs: 10_000, what: 'the added CA trusted' });
    expect((await getWith(port, '/metrics', member)).status).toBe(200);
    // (the apiserver keeps the added CA first and its own after it)
    expect((await data())?.['client-ca-file']).toBe(otherCA + cp.server.caCert);
    expect(stderr).not.toMatch(/list\/watch failed/);
  });
});
