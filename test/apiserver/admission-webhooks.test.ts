// Dynamic admission webhooks against a real apiserver and etcd, with webhook servers in this
// process (HTTPS, their own CA in the configurations' caBundle): a validating webhook refuses
// with its own code and message; a mutating webhook's JSONPatch is stored; the AdmissionReview
// carries what kube-apiserver sends; rules, namespace and object selectors decide who is asked;
// failurePolicy Fail and Ignore; a webhook reached through a Service's endpoints; dry runs and
// sideEffects; DELETE; CEL matchConditions; Kubernetes' validation of the configurations; and
// the stock kubectl.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePki } from '../../pkg/apiserver/pki.js';
import { core, CustomResourceDefinitions, EndpointsRef, MutatingWebhookConfigurations, Namespaces, Pods, Services, ValidatingWebhookConfigurations } from '../../pkg/client/rest-client.js';
import { eventually, failure, pod, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt } from '../helpers/kubectl.js';

let cp: TestControlPlane;
let server: Server;
let port: number;
let caBundle: string;
const dir = mkdtempSync(join(tmpdir(), 'tskube-webhooks-'));
/** Every AdmissionReview request the webhook server received, by path. */
const seen: { path: string; request: Record<string, any> }[] = [];

type Review = { request: { uid: string; object?: { metadata?: { labels?: Record<string, string> } }; operation: string; dryRun?: boolean } };
const handlers: Record<string, (r: Review) => Record<string, unknown> | Promise<Record<string, unknown>>> = {
  '/slow': () => new Promise((resolve) => setTimeout(() => resolve({ allowed: true }), 600)),
  '/deny': (r) => (r.request.object?.metadata?.labels?.deny === 'true' || r.request.operation === 'DELETE' ? { allowed: false, status: { code: 403, message: 'no thanks' } } : { allowed: true }),
  '/deny-plain': () => ({ allowed: false }),
  '/label': () => ({ allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify([{ op: 'add', path: '/metadata/labels/mutated', value: 'yes' }])).toString('base64'), warnings: ['labelled by the test webhook'] }),
  '/allow': () => ({ allowed: true }),
  '/no-connect': () => ({ allowed: false, status: { code: 403, message: 'no exec here' } }),
  '/wrong-uid': () => ({ allowed: true, uid: 'not-it' }),
  '/rename': () => ({ allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify([{ op: 'replace', path: '/metadata/name', value: 'other' }])).toString('base64') }),
  '/overreach': () => ({
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify([{ op: 'replace', path: '/metadata/uid', value: 'forged' }, { op: 'replace', path: '/status', value: { phase: 'Running' } }, { op: 'add', path: '/metadata/labels/ok', value: 'yes' }])).toString('base64'),
  }),
  '/replicas-5': () => ({ allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify([{ op: 'replace', path: '/spec/replicas', value: 5 }])).toString('base64') }),
  '/odd-code': () => ({ allowed: false, status: { code: 1000, message: 'odd' }, warnings: ['naïve ☃ warning'] }),
};
/** Paths answered with an HTTP error instead of an AdmissionReview: status, content type, body. */
const failing: Record<string, [number, string, string]> = {
  '/http-500': [500, 'text/plain', 'boom'],
  '/status-429': [403, 'application/json', JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'slow down', code: 429 })],
};

beforeAll(async () => {
  const pki = await ensurePki(dir, ['127.0.0.1', 'localhost', 'hooks.webhooks.svc']);
  caBundle = Buffer.from(pki.caCert).toString('base64');
  server = createServer({ cert: pki.cert, key: pki.key }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const review = JSON.parse(body) as Review & { apiVersion: string };
      const path = (req.url ?? '').split('?')[0]!;
      seen.push({ path, request: { ...review.request, apiVersion: review.apiVersion, query: (req.url ?? '').split('?')[1] } });
      const fail = failing[path];
      if (fail) {
        res.writeHead(fail[0], { 'Content-Type': fail[1] });
        return void res.end(fail[2]);
      }
      void Promise.resolve(handlers[path]!(review)).then((answer) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, ...answer } }));
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  cp = await startControlPlane();
}, 60_000);

afterAll(async () => {
  await cp?.stop(true);
  await new Promise((r) => server?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const url = (path: string) => `https://127.0.0.1:${port}${path}`;
function hook(name: string, path: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    clientConfig: { url: url(path), caBundle },
    rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    ...extra,
  };
}
const config = (kind: 'Validating' | 'Mutating', name: string, webhooks: unknown[]) => ({ apiVersion: 'admissionregistration.k8s.io/v1', kind: `${kind}WebhookConfiguration`, metadata: { name }, webhooks });
const withLabels = (name: string, labels: Record<string, string>) => ({ ...pod(name), metadata: { name, labels } });
async function withConfig<T>(kind: 'Validating' | 'Mutating', webhooks: unknown[], fn: () => Promise<T>): Promise<T> {
  const ref = kind === 'Validating' ? ValidatingWebhookConfigurations : MutatingWebhookConfigurations;
  const name = `cfg-${Math.random().toString(36).slice(2, 8)}`;
  await cp.admin.create(ref, undefined, config(kind, name, webhooks));
  // (admission reads the configurations from the watch cache)
  await new Promise((r) => setTimeout(r, 200));
  try {
    return await fn();
  } finally {
    await cp.admin.delete(ref, undefined, name);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A series' value on the apiserver's /metrics (it runs in this process), 0 before it exists. */
async function metric(series: string): Promise<number> {
  const line = (await register.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('admission webhooks', () => {
  it('refuses what a validating webhook refuses, with its code and message', async () => {
    const calls = (name: string, code: number, rejected: boolean) => metric(`apiserver_admission_webhook_request_total{name="${name}",type="validating",operation="CREATE",code="${code}",rejected="${rejected}"}`);
    const refusals = (name: string, code: number) => metric(`apiserver_admission_webhook_rejection_count{name="${name}",type="validating",operation="CREATE",error_type="no_error",rejection_code="${code}"}`);
    const before = { denied: await calls('deny.example.com', 403, true), refused: await refusals('deny.example.com', 403), plain: await refusals('plain.example.com', 400), allowed: await calls('deny.example.com', 200, false) };
    await withConfig('Validating', [hook('deny.example.com', '/deny'), hook('plain.example.com', '/deny-plain', { objectSelector: { matchLabels: { plain: 'true' } } })], async () => {
      const e = await failure(cp.admin.create(Pods, 'default', withLabels('v1', { deny: 'true' })));
      expect(e.code).toBe(403);
      expect(e.message).toBe('admission webhook "deny.example.com" denied the request: no thanks');
      const plain = await failure(cp.admin.create(Pods, 'default', withLabels('v2', { plain: 'true' })));
      expect(plain.code).toBe(400);
      expect(plain.message).toBe('admission webhook "plain.example.com" denied the request without explanation');
      await cp.admin.create(Pods, 'default', withLabels('v3', { deny: 'false' }));
      await expect(cp.admin.get(Pods, 'default', 'v1')).rejects.toMatchObject({ code: 404 });
    });
    // Each call counted and timed as 1.32's validating dispatcher observes it (ObserveWebhook, ObserveWebhookRejection).
    expect([await calls('deny.example.com', 403, true), await refusals('deny.example.com', 403), await refusals('plain.example.com', 400)]).toEqual([before.denied + 1, before.refused + 1, before.plain + 1]);
    expect(await calls('deny.example.com', 200, false)).toBeGreaterThan(before.allowed);
    expect(await metric('apiserver_admission_webhook_admission_duration_seconds_count{name="deny.example.com",type="validating",operation="CREATE",rejected="true"}')).toBeGreaterThan(0);
  });

  it("stores a mutating webhook's JSONPatch and sends the AdmissionReview kube-apiserver sends", async () => {
    seen.length = 0;
    await withConfig('Mutating', [hook('label.example.com', '/label', { timeoutSeconds: 7 })], async () => {
      await cp.admin.create(Pods, 'default', withLabels('m1', { app: 'm1' }));
      expect((await cp.admin.get(Pods, 'default', 'm1')).metadata!.labels).toEqual({ app: 'm1', mutated: 'yes' });
    });
    const r = seen.find((s) => s.path === '/label')!.request;
    expect(r).toMatchObject({
      apiVersion: 'admission.k8s.io/v1',
      query: 'timeout=7s',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      name: 'm1',
      namespace: 'default',
      operation: 'CREATE',
      userInfo: { username: 'admin', groups: expect.arrayContaining(['system:masters', 'system:authenticated']) },
      object: { kind: 'Pod', metadata: { name: 'm1' } },
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    });
    expect(r.uid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps what a patch may not change: the name (400), server-owned metadata and the status; odd replies do no harm', async () => {
    await withConfig('Mutating', [hook('rename.example.com', '/rename')], async () => {
      const e = await failure(cp.admin.create(Pods, 'default', withLabels('r1', {})));
      expect(e.code).toBe(400);
      expect(e.message).toBe('admission webhook "rename.example.com" may not change metadata.name');
    });
    await withConfig('Mutating', [hook('over.example.com', '/overreach', { rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] }] })], async () => {
      const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'o1', labels: { app: 'o1' } }, spec: { replicas: 1, selector: { matchLabels: { app: 'o1' } }, template: { metadata: { labels: { app: 'o1' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } } };
      const ref = { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true };
      const made = await cp.admin.create<{ metadata: { uid: string; labels: Record<string, string>; generation: number }; status?: { phase?: string } }>(ref, 'default', d);
      expect(made.metadata.uid).not.toBe('forged');
      expect(made.metadata.labels.ok).toBe('yes');
      expect(made.status?.phase).toBeUndefined();
      // a spec change still bumps the generation when a webhook patched the object
      const upd = await cp.admin.update<{ metadata: { generation: number } }>(ref, 'default', 'o1', { ...made, spec: { ...d.spec, replicas: 2 } });
      expect(upd.metadata.generation).toBe(2);
      await cp.admin.delete(ref, 'default', 'o1');
    });
    await withConfig('Validating', [hook('odd.example.com', '/odd-code')], async () => {
      const e = await failure(cp.admin.create(Pods, 'default', withLabels('o2', {})));
      expect(e.code).toBe(400);
      expect(e.message).toBe('admission webhook "odd.example.com" denied the request: odd');
    });
  });

  it('asks only the webhooks whose rules, namespaceSelector and objectSelector match', async () => {
    await cp.admin.create(Namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'hooked', labels: { webhooks: 'on' } } });
    const nsSel = hook('ns.example.com', '/label', { namespaceSelector: { matchLabels: { webhooks: 'on' } } });
    const cmOnly = hook('cm.example.com', '/deny-plain', { rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['*'], resources: ['configmaps'], scope: 'Namespaced' }] });
    await withConfig('Mutating', [nsSel], () =>
      withConfig('Validating', [cmOnly], async () => {
        await cp.admin.create(Pods, 'default', withLabels('s1', { app: 's1' }));
        expect((await cp.admin.get(Pods, 'default', 's1')).metadata!.labels).toEqual({ app: 's1' });
        await new Promise((r) => setTimeout(r, 1000)); // (the default ServiceAccount of the new namespace)
        await cp.admin.create(Pods, 'hooked', withLabels('s2', { app: 's2' }));
        expect((await cp.admin.get(Pods, 'hooked', 's2')).metadata!.labels).toEqual({ app: 's2', mutated: 'yes' });
        const e = await failure(cp.admin.create(core('configmaps'), 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1' } }));
        expect(e.message).toContain('admission webhook "cm.example.com" denied the request');
        // an update is not a CREATE: the rule does not match it
        await cp.admin.update(Pods, 'default', 's1', { ...(await cp.admin.get(Pods, 'default', 's1')) });
      }),
    );
  });

  it("leaves the webhooks' time out of apiserver_request_sli_duration_seconds, as 1.32's latency trackers do", async () => {
    const bucket = (name: string) => metric(`${name}_bucket{le="0.4",verb="POST",${name === 'apiserver_request_duration_seconds' ? 'dry_run="",' : ''}group="",version="v1",resource="pods",subresource="",scope="resource",component="apiserver"}`);
    const count = (name: string) => metric(`${name}_count{verb="POST",${name === 'apiserver_request_duration_seconds' ? 'dry_run="",' : ''}group="",version="v1",resource="pods",subresource="",scope="resource",component="apiserver"}`);
    const names = ['apiserver_request_duration_seconds', 'apiserver_request_sli_duration_seconds'];
    const before = await Promise.all(names.flatMap((n) => [count(n), bucket(n)]));
    // a mutating and a validating webhook that each take 600 ms: the create takes over a second
    await withConfig('Mutating', [hook('slow-mutating.example.com', '/slow')], () =>
      withConfig('Validating', [hook('slow-validating.example.com', '/slow')], async () => {
        const t = Date.now();
        await cp.admin.create(Pods, 'default', withLabels('slow', {}));
        expect(Date.now() - t).toBeGreaterThanOrEqual(1100);
      }),
    );
    const after = await Promise.all(names.flatMap((n) => [count(n), bucket(n)]));
    // (counted in both; within 0.4 s only once the webhooks' 1.2 s are taken out)
    expect(after.map((v, i) => v - before[i]!)).toEqual([1, 0, 1, 1]);
  });

  it('fails a write when a Fail webhook cannot be called, and passes it over under Ignore', async () => {
    const failedCall = () => metric('apiserver_admission_webhook_rejection_count{name="down.example.com",type="validating",operation="CREATE",error_type="calling_webhook_error",rejection_code="503"}');
    const failOpen = (name: string) => metric(`apiserver_admission_webhook_fail_open_count{name="${name}",type="validating"}`);
    const before = { failed: await failedCall(), down: await failOpen('down.example.com'), uid: await failOpen('uid.example.com') };
    const down = { ...hook('down.example.com', '/allow'), clientConfig: { url: 'https://127.0.0.1:1/allow', caBundle } };
    await withConfig('Validating', [down], async () => {
      const e = await failure(cp.admin.create(Pods, 'default', withLabels('f1', {})));
      expect(e.code).toBe(500);
      expect(e.message).toMatch(/^Internal error occurred: failed calling webhook "down.example.com": failed to call webhook: Post "https:\/\/127\.0\.0\.1:1\/allow\?timeout=10s": connect ECONNREFUSED/);
    });
    await withConfig('Validating', [{ ...down, failurePolicy: 'Ignore' }, hook('uid.example.com', '/wrong-uid', { failurePolicy: 'Ignore' })], async () => {
      await cp.admin.create(Pods, 'default', withLabels('f2', {}));
    });
    // (the failed call that refused, then the two passed over: ErrCallingWebhook's 503 and ObserveWebhookFailOpen)
    expect([await failedCall(), await failOpen('down.example.com'), await failOpen('uid.example.com')]).toEqual([before.failed + 1, before.down + 1, before.uid + 1]);
    await withConfig('Validating', [hook('uid.example.com', '/wrong-uid')], async () => {
      const e = await failure(cp.admin.create(Pods, 'default', withLabels('f3', {})));
      expect(e.message).toContain('received invalid webhook response: expected response.uid=');
    });
  });

  it("refuses and counts a call the webhook answered with an HTTP error by that answer, as 1.32's dispatchers take ErrCallingWebhook's Status", async () => {
    const calls = (name: string, code: number, rejected: boolean) => metric(`apiserver_admission_webhook_request_total{name="${name}",type="validating",operation="CREATE",code="${code}",rejected="${rejected}"}`);
    const refusals = (name: string, code: number) => metric(`apiserver_admission_webhook_rejection_count{name="${name}",type="validating",operation="CREATE",error_type="calling_webhook_error",rejection_code="${code}"}`);
    const series = () => Promise.all([calls('http500.example.com', 500, true), refusals('http500.example.com', 500), calls('status.example.com', 429, false), calls('http500.example.com', 503, true)]);
    const before = await series();
    await withConfig('Validating', [hook('http500.example.com', '/http-500')], async () => {
      const e = await failure(cp.admin.create(Pods, 'default', withLabels('h1', {})));
      expect([e.code, e.message]).toEqual([500, 'Internal error occurred: failed calling webhook "http500.example.com": failed to call webhook: an error on the server ("boom") has prevented the request from succeeding']);
    });
    // (a Failure Status in the body gives its own code; under Ignore the call is not a rejection)
    await withConfig('Validating', [hook('status.example.com', '/status-429', { failurePolicy: 'Ignore' })], async () => {
      await cp.admin.create(Pods, 'default', withLabels('h2', {}));
    });
    expect((await series()).map((v, i) => v - before[i]!)).toEqual([1, 1, 1, 0]);
  });

  it("reaches a webhook through its Service's endpoints, verifying the Service's DNS name", async () => {
    await cp.admin.create(Namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'webhooks' } });
    await cp.admin.create(Services, 'webhooks', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'hooks' }, spec: { ports: [{ port: 443, targetPort: port }] } });
    await cp.admin.create(EndpointsRef, 'webhooks', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'hooks' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port }] }] });
    const viaService = { ...hook('svc.example.com', '/ignored'), clientConfig: { service: { namespace: 'webhooks', name: 'hooks', path: '/deny' }, caBundle } };
    await withConfig('Validating', [viaService], async () => {
      const e = await failure(cp.admin.create(Pods, 'default', withLabels('e1', { deny: 'true' })));
      expect(e.message).toBe('admission webhook "svc.example.com" denied the request: no thanks');
    });
  });

  it('sends dry runs only to webhooks without side effects, and asks about DELETE', async () => {
    seen.length = 0;
    await withConfig('Validating', [hook('some.example.com', '/allow', { sideEffects: 'NoneOnDryRun' })], async () => {
      await cp.admin.request('/api/v1/namespaces/default/pods?dryRun=All', { method: 'POST', body: withLabels('d1', {}) });
      expect(seen.at(-1)!.request.dryRun).toBe(true);
    });
    await cp.admin.create(Pods, 'default', withLabels('d2', {}));
    await withConfig('Validating', [hook('del.example.com', '/deny', { rules: [{ operations: ['DELETE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }] })], async () => {
      const e = await failure(cp.admin.delete(Pods, 'default', 'd2'));
      expect(e.message).toBe('admission webhook "del.example.com" denied the request: no thanks');
      expect(seen.at(-1)!.request).toMatchObject({ operation: 'DELETE', object: null, oldObject: { metadata: { name: 'd2' } }, options: { kind: 'DeleteOptions' } });
    });
  });

  it('asks about evictions (pods/eviction CREATE, a policy/v1 Eviction), and a refusal keeps the pod', async () => {
    await cp.admin.create(Pods, 'default', withLabels('ev1', {}));
    const evict = () => cp.admin.request('/api/v1/namespaces/default/pods/ev1/eviction', { method: 'POST', body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'ev1', namespace: 'default' } } });
    seen.length = 0;
    await withConfig('Validating', [hook('evict.example.com', '/deny-plain', { rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/eviction'] }] })], async () => {
      const e = await failure(evict());
      expect([e.code, e.message]).toEqual([400, 'admission webhook "evict.example.com" denied the request without explanation']);
      expect(seen.at(-1)!.request).toMatchObject({
        operation: 'CREATE',
        kind: { group: 'policy', version: 'v1', kind: 'Eviction' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        subResource: 'eviction',
        name: 'ev1',
        object: { kind: 'Eviction', metadata: { name: 'ev1' } },
      });
      expect((await cp.admin.get(Pods, 'default', 'ev1')).metadata?.deletionTimestamp).toBeUndefined();
    });
    // (a webhook on pods alone is not asked about an eviction)
    seen.length = 0;
    await withConfig('Validating', [hook('pods-only.example.com', '/deny-plain')], async () => {
      await evict();
      expect(seen).toEqual([]);
    });
  });

  it("does not ask about an eviction's own writes (its DisruptionTarget condition and delete), as 1.32 makes them without admission", async () => {
    await cp.admin.create(Pods, 'default', withLabels('ev2', { deny: 'true' }));
    await cp.admin.create(Pods, 'default', withLabels('ev3', { deny: 'true' }));
    const writes = hook('writes.example.com', '/deny', { rules: [{ operations: ['UPDATE', 'DELETE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods', 'pods/status'] }] });
    seen.length = 0;
    await withConfig('Validating', [writes], async () => {
      await cp.admin.request('/api/v1/namespaces/default/pods/ev2/eviction', { method: 'POST', body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'ev2', namespace: 'default' } } });
      expect(seen).toEqual([]);
      await expect(cp.admin.get(Pods, 'default', 'ev2')).rejects.toMatchObject({ code: 404 });
      // (a plain delete and a status write are still asked, and refused)
      const e = await failure(cp.admin.delete(Pods, 'default', 'ev3'));
      expect(e.message).toBe('admission webhook "writes.example.com" denied the request: no thanks');
      const ev3 = await cp.admin.get<{ status?: Record<string, unknown> }>(Pods, 'default', 'ev3');
      const st = await failure(cp.admin.request('/api/v1/namespaces/default/pods/ev3/status', { method: 'PUT', body: { ...ev3, status: { ...ev3.status, conditions: [{ type: 'DisruptionTarget', status: 'True' }] } } }));
      expect(st.message).toBe('admission webhook "writes.example.com" denied the request: no thanks');
      // (a write first tried on the watch cache's copy is tried again on etcd's after a refusal, as
      // GuaranteedUpdate does: the status write may be asked twice)
      expect(new Set(seen.map((s) => `${s.request.operation} ${s.request.subResource ?? ''} ${s.request.name}`))).toEqual(new Set(['DELETE  ev3', 'UPDATE status ev3']));
    });
    await cp.admin.delete(Pods, 'default', 'ev3');
  });

  it('asks about bindings (pods/binding CREATE, a v1 Binding), and a refusal leaves the pod unbound', async () => {
    await cp.admin.create(Pods, 'default', withLabels('b1', {}));
    const bind = () => cp.admin.request('/api/v1/namespaces/default/pods/b1/binding', { method: 'POST', body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'b1', namespace: 'default' }, target: { kind: 'Node', name: 'n1' } } });
    seen.length = 0;
    await withConfig('Validating', [hook('bind.example.com', '/deny-plain', { rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/binding'] }] })], async () => {
      const e = await failure(bind());
      expect([e.code, e.message]).toEqual([400, 'admission webhook "bind.example.com" denied the request without explanation']);
      expect(seen.at(-1)!.request).toMatchObject({
        operation: 'CREATE',
        kind: { group: '', version: 'v1', kind: 'Binding' },
        requestKind: { group: '', version: 'v1', kind: 'Binding' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        subResource: 'binding',
        name: 'b1',
        namespace: 'default',
        object: { kind: 'Binding', target: { kind: 'Node', name: 'n1' } },
      });
      expect(((await cp.admin.get(Pods, 'default', 'b1')).spec as { nodeName?: string }).nodeName).toBeUndefined();
    });
    // (a webhook on pods alone is not asked about a binding)
    seen.length = 0;
    await withConfig('Validating', [hook('pods-only.example.com', '/deny-plain')], async () => {
      await bind();
      expect(seen).toEqual([]);
    });
    expect(((await cp.admin.get(Pods, 'default', 'b1')).spec as { nodeName?: string }).nodeName).toBe('n1');
  });

  it('asks about a scale (deployments/scale UPDATE, autoscaling/v1 Scales), not as an update of the deployment', async () => {
    const ref = { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true };
    const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'sc1' }, spec: { replicas: 1, selector: { matchLabels: { app: 'sc1' } }, template: { metadata: { labels: { app: 'sc1' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } } };
    await cp.admin.create(ref, 'default', d);
    const scaleTo = async (replicas: number) => {
      const cur = await cp.admin.request<{ spec: { replicas: number } }>('/apis/apps/v1/namespaces/default/deployments/sc1/scale');
      return cp.admin.request('/apis/apps/v1/namespaces/default/deployments/sc1/scale', { method: 'PUT', body: { ...cur, spec: { replicas } } });
    };
    const deploymentRule = (resources: string[]) => ({ rules: [{ operations: ['UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources }] });
    seen.length = 0;
    await withConfig('Validating', [hook('scale.example.com', '/deny-plain', deploymentRule(['deployments/scale']))], async () => {
      const e = await failure(scaleTo(3));
      expect([e.code, e.message]).toEqual([400, 'admission webhook "scale.example.com" denied the request without explanation']);
      const scale = { group: 'autoscaling', version: 'v1', kind: 'Scale' };
      expect(seen.at(-1)!.request).toMatchObject({
        operation: 'UPDATE',
        kind: scale,
        requestKind: scale,
        resource: { group: 'apps', version: 'v1', resource: 'deployments' },
        subResource: 'scale',
        name: 'sc1',
        object: { apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { replicas: 3 } },
        oldObject: { apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { replicas: 1 } },
      });
    });
    // (a webhook on deployments alone is not asked about a scale)
    seen.length = 0;
    await withConfig('Validating', [hook('deploy-only.example.com', '/deny-plain', deploymentRule(['deployments']))], async () => {
      await scaleTo(2);
      expect(seen).toEqual([]);
    });
    expect((await cp.admin.get<{ spec: { replicas: number } }>(ref, 'default', 'sc1')).spec.replicas).toBe(2);
    // (a mutating webhook's patch of the Scale is what is written)
    await withConfig('Mutating', [hook('five.example.com', '/replicas-5', deploymentRule(['deployments/scale']))], async () => {
      await scaleTo(3);
    });
    expect((await cp.admin.get<{ spec: { replicas: number } }>(ref, 'default', 'sc1')).spec.replicas).toBe(5);
    await cp.admin.delete(ref, 'default', 'sc1');
  });

  it('asks about token requests (serviceaccounts/token CREATE, an authentication.k8s.io/v1 TokenRequest)', async () => {
    const ask = () => cp.admin.request<{ status?: { token?: string } }>('/api/v1/namespaces/default/serviceaccounts/default/token', { method: 'POST', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: ['a1'] } } });
    const rule = (resources: string[]) => ({ rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources }] });
    seen.length = 0;
    await withConfig('Validating', [hook('token.example.com', '/deny-plain', rule(['serviceaccounts/token']))], async () => {
      const e = await failure(ask());
      expect([e.code, e.message]).toEqual([400, 'admission webhook "token.example.com" denied the request without explanation']);
      const kind = { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' };
      expect(seen.at(-1)!.request).toMatchObject({
        operation: 'CREATE',
        kind,
        requestKind: kind,
        resource: { group: '', version: 'v1', resource: 'serviceaccounts' },
        subResource: 'token',
        name: 'default',
        namespace: 'default',
        object: { kind: 'TokenRequest', spec: { audiences: ['a1'], expirationSeconds: 3600 } },
      });
    });
    // (a webhook on serviceaccounts alone is not asked about a token)
    seen.length = 0;
    await withConfig('Validating', [hook('sa-only.example.com', '/deny-plain', rule(['serviceaccounts']))], async () => {
      expect((await ask()).status?.token).toBeTruthy();
      expect(seen).toEqual([]);
    });
  });

  it('asks about custom resources too', async () => {
    await cp.admin.create(CustomResourceDefinitions, undefined, {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.example.com' },
      spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } } }] },
    });
    const gadgets = { group: 'example.com', version: 'v1', resource: 'gadgets', namespaced: true };
    const gadget = (name: string, labels: Record<string, string>) => ({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name, labels }, spec: {} });
    await eventually(async () => ((await cp.admin.list(gadgets, 'default').catch(() => undefined)) ? true : undefined), { timeoutMs: 15_000, what: 'gadgets served' });
    const rule = { operations: ['CREATE'], apiGroups: ['example.com'], apiVersions: ['*'], resources: ['gadgets'] };
    await withConfig('Mutating', [hook('gl.example.com', '/label', { rules: [rule] })], () =>
      withConfig('Validating', [hook('gd.example.com', '/deny', { rules: [rule] })], async () => {
        // (with a label to add to: 1.32 drops a custom resource's empty labels as it decodes it,
        // before admission, so the test webhook's patch into /metadata/labels needs a map there)
        expect((await cp.admin.create<{ metadata: { labels: Record<string, string> } }>(gadgets, 'default', gadget('g1', { app: 'g1' }))).metadata.labels).toEqual({ app: 'g1', mutated: 'yes' });
        expect((await failure(cp.admin.create(gadgets, 'default', gadget('g2', { deny: 'true' })))).message).toBe('admission webhook "gd.example.com" denied the request: no thanks');
      }),
    );
    await cp.admin.delete(CustomResourceDefinitions, undefined, 'gadgets.example.com');
  });

  it.skipIf(!hasKubectl)('asks about CONNECT: exec and the proxy subresources can be refused', async () => {
    await cp.admin.create(Pods, 'default', withLabels('c1', {}));
    const cache = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));
    seen.length = 0;
    try {
      const rule = { operations: ['CONNECT'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/exec', 'pods/proxy', 'pods/attach', 'pods/portforward'] };
      await withConfig('Validating', [hook('connect.example.com', '/no-connect', { rules: [rule] })], async () => {
        const exec = await kubectlAt(cp.kubeconfig, cache, ['exec', 'c1', '--', 'echo', 'hi']);
        expect(exec.code).not.toBe(0);
        expect(exec.err).toContain('admission webhook "connect.example.com" denied the request: no exec here');
        // (kind and requestKind name the subresource's kind, the options', as 1.32's connecters do)
        const kind = (k: string) => ({ group: '', version: 'v1', kind: k });
        expect(seen.at(-1)!.request).toMatchObject({ operation: 'CONNECT', kind: kind('PodExecOptions'), requestKind: kind('PodExecOptions'), resource: { group: '', version: 'v1', resource: 'pods' }, subResource: 'exec', name: 'c1', namespace: 'default', object: { kind: 'PodExecOptions', command: ['echo', 'hi'] }, oldObject: null });
        const proxy = await failure(cp.admin.request('/api/v1/namespaces/default/pods/c1/proxy/x'));
        expect(proxy.code).toBe(403);
        expect(seen.at(-1)!.request).toMatchObject({ operation: 'CONNECT', kind: kind('PodProxyOptions'), requestKind: kind('PodProxyOptions'), subResource: 'proxy', object: { kind: 'PodProxyOptions', path: '/x' } });
        const attach = await kubectlAt(cp.kubeconfig, cache, ['attach', 'c1']);
        expect(attach.err).toContain('admission webhook "connect.example.com" denied the request: no exec here');
        expect(seen.at(-1)!.request).toMatchObject({ operation: 'CONNECT', kind: kind('PodAttachOptions'), requestKind: kind('PodAttachOptions'), subResource: 'attach', object: { kind: 'PodAttachOptions' } });
        // (kubectl port-forward refuses a pod that is not running before it connects)
        const forward = await failure(cp.admin.request('/api/v1/namespaces/default/pods/c1/portforward?ports=80', { method: 'POST' }));
        expect(forward.message).toBe('admission webhook "connect.example.com" denied the request: no exec here');
        expect(seen.at(-1)!.request).toMatchObject({ operation: 'CONNECT', kind: kind('PodPortForwardOptions'), requestKind: kind('PodPortForwardOptions'), subResource: 'portforward', object: { kind: 'PodPortForwardOptions' } });
        // (CREATE is not CONNECT: other writes go on)
        await cp.admin.create(Pods, 'default', withLabels('c2', {}));
      });
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('asks a webhook only when its CEL matchConditions hold', async () => {
    const conditions = [
      { name: 'gated', expression: "has(object.metadata.labels) && 'gate' in object.metadata.labels" },
      { name: 'by-admin', expression: "request.userInfo.username == 'admin' && request.operation == 'CREATE' && oldObject == null" },
    ];
    seen.length = 0;
    await withConfig('Validating', [hook('mc.example.com', '/deny-plain', { matchConditions: conditions })], async () => {
      await cp.admin.create(Pods, 'default', withLabels('mc1', { app: 'x' }));
      expect(seen.filter((r) => r.path === '/deny-plain')).toHaveLength(0);
      const e = await failure(cp.admin.create(Pods, 'default', withLabels('mc2', { gate: 'on' })));
      expect(e.message).toBe('admission webhook "mc.example.com" denied the request without explanation');
      expect(seen.filter((r) => r.path === '/deny-plain')).toHaveLength(1);
    });
    // A condition that cannot be evaluated refuses the request under Fail and skips the webhook under Ignore.
    const broken = [{ name: 'gate', expression: "object.metadata.labels.gate == 'on'" }];
    await withConfig('Validating', [hook('mcf.example.com', '/deny-plain', { matchConditions: broken })], async () => {
      const e = await failure(cp.admin.create(Pods, 'default', withLabels('mc3', { app: 'x' })));
      expect(e.code).toBe(403);
      expect(e.message).toBe('pods "mc3" is forbidden: failed calling webhook "mcf.example.com": error evaluating match conditions: matchCondition \'gate\': no such key: gate');
    });
    await withConfig('Validating', [hook('mci.example.com', '/deny-plain', { matchConditions: broken, failurePolicy: 'Ignore' })], async () => {
      await cp.admin.create(Pods, 'default', withLabels('mc4', { app: 'x' }));
    });
  });

  it('validates the configurations as Kubernetes does', async () => {
    const bad = [
      { ...hook('two.segments', '/allow') },
      { ...hook('a.b.c', '/allow'), sideEffects: undefined },
      { ...hook('a.b.d', '/allow'), sideEffects: 'Some' },
      { ...hook('a.b.e', '/allow'), clientConfig: { url: 'http://127.0.0.1/x' } },
      { ...hook('a.b.f', '/allow'), clientConfig: { url: url('/x'), service: { namespace: 'n', name: 's' } } },
      { ...hook('a.b.g', '/allow'), timeoutSeconds: 31 },
      { ...hook('a.b.h', '/allow'), admissionReviewVersions: ['v2'] },
      { ...hook('a.b.i', '/allow'), rules: [{ operations: ['CREATE', '*'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }] },
      { ...hook('a.b.j', '/allow'), matchConditions: [{ name: 'x', expression: 'object.' }, { name: 'x', expression: 'authorizer.group("").check()' }, { name: 'Bad Name!', expression: '1 + 1' }] },
      { ...hook('a.b.k', '/allow'), failurePolicy: 'Maybe' },
    ];
    const e = await failure(cp.admin.create(ValidatingWebhookConfigurations, undefined, config('Validating', 'bad', bad)));
    expect(e.code).toBe(422);
    for (const m of [
      'webhooks[0].name: Invalid value: "two.segments": should be a domain with at least three segments separated by dots',
      'webhooks[1].sideEffects: Required value: must specify one of None, NoneOnDryRun',
      'webhooks[2].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"',
      `webhooks[3].clientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme`,
      'webhooks[4].clientConfig: Required value: exactly one of url or service is required',
      'webhooks[5].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds',
      'webhooks[6].admissionReviewVersions: Invalid value',
      `webhooks[7].rules[0].operations: Invalid value`,
      `webhooks[8].matchConditions[0].expression: Invalid value: "object.": compilation failed: ERROR: <input>:1:8: Syntax error: mismatched input '<EOF>' expecting IDENTIFIER`,
      `webhooks[8].matchConditions[1].expression: Invalid value: "authorizer.group(\\"\\").check()": compilation failed: ERROR: <input>:1:1: undeclared reference to 'authorizer'`,
      'webhooks[8].matchConditions[1].name: Duplicate value: "x"',
      'webhooks[8].matchConditions[2].expression: Invalid value: "1 + 1": compilation failed: ERROR: <input>:1:1: cel expression must evaluate to a bool',
      'webhooks[8].matchConditions[2].name: Invalid value: "Bad Name!"',
      'webhooks[9].failurePolicy: Unsupported value: "Maybe"',
    ]) {
      expect(e.message).toContain(m);
    }
    const dup = await failure(cp.admin.create(MutatingWebhookConfigurations, undefined, config('Mutating', 'dup', [hook('a.b.c', '/allow'), hook('a.b.c', '/allow', { reinvocationPolicy: 'Always' })])));
    expect(dup.message).toContain('webhooks[1].name: Duplicate value: "a.b.c"');
    expect(dup.message).toContain('webhooks[1].reinvocationPolicy: Unsupported value: "Always"');
    const ok = await cp.admin.create(MutatingWebhookConfigurations, undefined, config('Mutating', 'defaults', [{ ...hook('a.b.c', '/allow'), clientConfig: { service: { namespace: 'n', name: 's' } } }]));
    expect((ok as { webhooks: unknown[] }).webhooks[0]).toMatchObject({ failurePolicy: 'Fail', matchPolicy: 'Equivalent', timeoutSeconds: 10, reinvocationPolicy: 'Never', namespaceSelector: {}, objectSelector: {}, clientConfig: { service: { port: 443 } }, rules: [{ scope: '*' }] });
    await cp.admin.delete(MutatingWebhookConfigurations, undefined, 'defaults');
  });

  it.skipIf(!hasKubectl)('is what kubectl meets: the refusal on apply, and the configurations in get', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));
    try {
      await withConfig('Validating', [hook('deny.example.com', '/deny')], async () => {
        const manifest = JSON.stringify(withLabels('k1', { deny: 'true' }));
        const r = await kubectlAt(cp.kubeconfig, cache, ['apply', '-f', '-'], manifest);
        expect(r.code).not.toBe(0);
        expect(r.err).toContain('admission webhook "deny.example.com" denied the request: no thanks');
        const get = await kubectlAt(cp.kubeconfig, cache, ['get', 'validatingwebhookconfigurations']);
        expect(get.out).toMatch(/^NAME\s+WEBHOOKS\s+AGE\ncfg-\w+\s+1\s+\d+s/);
      });
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
