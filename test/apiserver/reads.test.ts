// Reading the API as kube-apiserver 1.32 answers it: watch timeouts, GET at a resourceVersion,
// "too large resource version" with Retry-After, failures of an accepted watch as an ERROR
// event (and clients relisting on it), continue tokens (bad, compacted, at the latest
// revision), and watches of what cannot be watched.
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { core, Leases, type RestClient, type WatchEvent } from '../../pkg/client/rest-client.js';
import { Informer } from '../../pkg/client/informer.js';
import type { KubeObject } from '../../pkg/api/types.js';
import type { ListResult } from '../../pkg/client/api-client.js';
import { eventually, failure, rawRequest, sleep, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

const ConfigMaps = core('configmaps');
let cp: TestControlPlane;

beforeAll(async () => {
  // (a small window, so a resume from a little way back is already too old)
  cp = await startControlPlane({ watchCacheSize: 30 });
});
afterAll(async () => {
  await cp?.stop();
});

const cm = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { a: '1' } });

/** One request, answered in full: status, headers and body text (a watch: until the server ends it). */
const raw = (path: string) => rawRequest(cp, path);

const rvOf = (o: KubeObject) => Number(o.metadata!.resourceVersion);

/** Creates enough configmaps that the cache's window no longer reaches back to `rv`. */
async function pushOutOfWindow(prefix: string): Promise<void> {
  for (let i = 0; i < 40; i += 10) await Promise.all(Array.from({ length: 10 }, (_, j) => cp.admin.create(ConfigMaps, 'default', cm(`${prefix}-${i + j}`, { flood: prefix }))));
}

const tooLargeStatus = (requested: number | string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: expect.stringMatching(new RegExp(`^Timeout: Too large resource version: ${requested}, current: \\d+$`)),
  reason: 'Timeout',
  details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
  code: 504,
});

describe('watch timeoutSeconds', () => {
  it('0 is no timeout given: the watch stays open and delivers; a negative one ends at once', async () => {
    const from = (await cp.admin.list(ConfigMaps, 'default')).metadata.resourceVersion!;
    const seen: string[] = [];
    const h = await cp.admin.watch(ConfigMaps, 'default', { resourceVersion: from, timeoutSeconds: 0 }, (e: WatchEvent) => seen.push(`${e.type} ${e.object.metadata?.name}`));
    let ended = false;
    void h.done.then(() => (ended = true));
    await sleep(1000);
    await cp.admin.create(ConfigMaps, 'default', cm('t0'));
    await eventually(() => seen.includes('ADDED t0'));
    expect(ended).toBe(false);
    h.stop();

    const started = Date.now();
    const seenNegative: string[] = [];
    const n = await cp.admin.watch(ConfigMaps, 'default', { resourceVersion: from, timeoutSeconds: -1 }, (e: WatchEvent) => seenNegative.push(e.type));
    await n.done;
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('GET at a resourceVersion (served from the watch cache)', () => {
  it('returns the current object at 0 or an older revision; at one the cache does not reach in 3 s, 504 with Retry-After', async () => {
    const created = await cp.admin.create(ConfigMaps, 'default', cm('g1'));
    const updated = await cp.admin.patch(ConfigMaps, 'default', 'g1', { data: { a: '2' } }, 'merge');
    // (at the update's own revision first: the read waits for the cache to reach it; 0 and an
    // older revision take the cache as it is, which may lag a write just made, so they come after)
    for (const rv of [String(rvOf(updated)), '0', String(rvOf(created))]) {
      const got = await cp.admin.request<KubeObject>(`/api/v1/namespaces/default/configmaps/g1?resourceVersion=${rv}`);
      expect([rv, got.metadata?.resourceVersion, (got as { data?: unknown }).data]).toEqual([rv, updated.metadata?.resourceVersion, { a: '2' }]);
    }
    const missing = await failure(cp.admin.request('/api/v1/namespaces/default/configmaps/nope?resourceVersion=0'));
    expect(missing.code).toBe(404);

    const future = rvOf(updated) + 100_000;
    const started = Date.now();
    const res = await raw(`/api/v1/namespaces/default/configmaps/g1?resourceVersion=${future}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    expect(res.status).toBe(504);
    expect(res.headers['retry-after']).toBe('1');
    expect(JSON.parse(res.body)).toEqual(tooLargeStatus(future));
  });

  it("a resourceVersion from another resource's list is served at once, though this cache has no event at it", async () => {
    await cp.admin.create(ConfigMaps, 'default', cm('other-rv'));
    // A later write of another resource: etcd's revision moves on, the configmap cache sees nothing.
    // (a lease: nothing follows from it, as a namespace's root CA configmap follows from a namespace)
    const rv = rvOf(await cp.admin.create(Leases, 'default', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'reads-other-rv' } }));
    for (const path of [`/api/v1/namespaces/default/configmaps?resourceVersion=${rv}`, `/api/v1/namespaces/default/configmaps/other-rv?resourceVersion=${rv}`]) {
      const started = Date.now();
      const res = await raw(path);
      expect([path, res.status]).toEqual([path, 200]);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(Number((JSON.parse(res.body) as KubeObject).metadata!.resourceVersion)).toBeGreaterThanOrEqual(path.includes('/other-rv') ? 1 : rv);
    }
  });

  it('a LIST at a revision not reached is the same 504, with Retry-After', async () => {
    const future = Number((await cp.admin.list(ConfigMaps, 'default')).metadata.resourceVersion) + 100_000;
    // (both LISTs at once: each waits out the cache's 3 s before its 504)
    const [res, huge] = await Promise.all([raw(`/api/v1/namespaces/default/configmaps?resourceVersion=${future}`), raw('/api/v1/namespaces/default/configmaps?resourceVersion=18446744073709551615')]);
    expect([res.status, res.headers['retry-after']]).toEqual([504, '1']);
    expect(JSON.parse(res.body)).toEqual(tooLargeStatus(future));
    // (a uint64 past 2^53 is printed as given, not as the double it rounds to: 18446744073709551615 is not ...1616)
    expect((JSON.parse(huge.body) as { message: string }).message).toMatch(/^Timeout: Too large resource version: 18446744073709551615, current: \d+$/);
  });
});

describe('an accepted watch that cannot be served', () => {
  it('from a resourceVersion older than the window: HTTP 200, one ERROR event with the 410 Status, the end', async () => {
    const old = Number((await cp.admin.list(ConfigMaps, 'default')).metadata.resourceVersion);
    await pushOutOfWindow('old');
    const res = await raw(`/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${old}`);
    expect(res.status).toBe(200);
    const lines = res.body.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      type: 'ERROR',
      object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: expect.stringMatching(new RegExp(`^too old resource version: ${old} \\(\\d+\\)$`)), reason: 'Expired', code: 410 },
    });
  });

  it('with sendInitialEvents from a revision not reached: HTTP 200, one ERROR event with the 504 Status', async () => {
    const future = Number((await cp.admin.list(ConfigMaps, 'default')).metadata.resourceVersion) + 100_000;
    const res = await raw(`/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=${future}`);
    expect(res.status).toBe(200);
    const lines = res.body.trim().split('\n');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([{ type: 'ERROR', object: tooLargeStatus(future) }]);
  });

  it('an informer whose watch gets that 410 event relists and goes on watching', async () => {
    const old = (await cp.admin.list(ConfigMaps, 'default')).metadata.resourceVersion!;
    await pushOutOfWindow('inf');
    // Its first watch resumes from far back, as after a long disconnection.
    let watches = 0;
    const stale = Object.create(cp.admin) as RestClient;
    stale.watch = (ref, ns, q, onEvent, accept) => cp.admin.watch(ref, ns, watches++ === 0 ? { ...q, resourceVersion: old } : q, onEvent, accept);
    const inf = new Informer(stale, ConfigMaps, { namespace: 'default', labelSelector: 'flood=inf' }).start();
    try {
      await inf.hasSynced();
      await eventually(() => inf.relists === 2 && watches >= 2, { what: 'a relist after the 410 event' });
      await cp.admin.create(ConfigMaps, 'default', cm('inf-late', { flood: 'inf' }));
      await eventually(() => inf.get('default/inf-late') !== undefined, { what: 'the watch after the relist' });
      expect(inf.list()).toHaveLength(41);
    } finally {
      inf.stop();
    }
  });
});

describe('continue tokens', () => {
  it('one the server cannot decode is 400, in the words of storage.DecodeContinue', async () => {
    const bad = await failure(cp.admin.request('/api/v1/namespaces/default/configmaps?limit=1&continue=garbage!!'));
    expect([bad.code, bad.status?.reason, bad.message]).toEqual([400, 'BadRequest', 'invalid continue token: continue key is not valid: illegal base64 data at input byte 7']);
    const traversal = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: 5, start: '../x' })).toString('base64url');
    expect((await failure(cp.admin.request(`/api/v1/namespaces/default/configmaps?limit=1&continue=${traversal}`))).message).toBe('invalid continue token: continue key is not valid: ../x');
  });

  it('one whose revision was compacted is 410 with a token that goes on at the latest revision, which that page reports', async () => {
    for (let i = 0; i < 5; i++) await cp.admin.create(ConfigMaps, 'default', cm(`page-${i}`, { paged: 'yes' }));
    const first = await cp.admin.list(ConfigMaps, 'default', { labelSelector: 'paged=yes', limit: 2 });
    const start = (JSON.parse(Buffer.from(first.metadata.continue!, 'base64url').toString()) as { start: string }).start;
    await cp.admin.create(ConfigMaps, 'default', cm('page-5', { paged: 'yes' }));
    const latest = Number((await cp.admin.list(ConfigMaps, 'default')).metadata.resourceVersion);
    const etcd = new Etcd3({ hosts: cp.server.etcdEndpoints });
    try {
      await etcd.kv.compact({ revision: String(latest) });
    } finally {
      etcd.close();
    }
    const expired = await failure(cp.admin.list(ConfigMaps, 'default', { labelSelector: 'paged=yes', limit: 2, continue: first.metadata.continue }));
    expect(expired.code).toBe(410);
    expect(expired.status).toMatchObject({
      reason: 'Expired',
      message:
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
    });
    const offered = (expired.status?.metadata as { continue?: string }).continue!;
    expect(JSON.parse(Buffer.from(offered, 'base64url').toString())).toEqual({ v: 'meta.k8s.io/v1', rv: -1, start });

    // The rest, as it is now (page-5 included), at a real revision that its own token carries on.
    const names: string[] = [];
    let cont: string | undefined = offered;
    const revisions = new Set<string>();
    while (cont) {
      const page: ListResult<KubeObject> = await cp.admin.list(ConfigMaps, 'default', { labelSelector: 'paged=yes', limit: 2, continue: cont });
      names.push(...page.items.map((o) => o.metadata!.name!));
      revisions.add(page.metadata.resourceVersion!);
      cont = page.metadata.continue;
    }
    expect(names).toEqual(['page-2', 'page-3', 'page-4', 'page-5']);
    expect([...revisions]).toHaveLength(1);
    expect(Number([...revisions][0])).toBeGreaterThanOrEqual(latest);
  });
});

describe('watches 1.32 does not serve', () => {
  it('of a resource whose storage cannot watch: 405 MethodNotSupported', async () => {
    const cs = await failure(cp.admin.request('/api/v1/componentstatuses?watch=1'));
    expect(cs.status).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'watch is not supported on resources of kind "componentstatuses"', reason: 'MethodNotAllowed', details: { kind: 'componentstatuses' }, code: 405 });
    const metrics = await failure(cp.admin.request('/apis/metrics.k8s.io/v1beta1/nodes?watch=true'));
    expect(metrics.status).toMatchObject({ message: 'watch is not supported on resources of kind "nodes.metrics.k8s.io"', reason: 'MethodNotAllowed', details: { group: 'metrics.k8s.io', kind: 'nodes' }, code: 405 });
  });

  it('of one name with a field selector for another: 400', async () => {
    await cp.admin.create(ConfigMaps, 'default', cm('cm-1'));
    const other = await failure(cp.admin.request('/api/v1/watch/namespaces/default/configmaps/cm-1?fieldSelector=metadata.name%3Dcm-2'));
    expect([other.code, other.message]).toEqual([400, "fieldSelector metadata.name doesn't match requested name"]);
    const notName = await failure(cp.admin.request('/api/v1/watch/namespaces/default/configmaps/cm-1?fieldSelector=metadata.namespace%3Ddefault'));
    expect(notName.code).toBe(400);
    const same = await raw('/api/v1/watch/namespaces/default/configmaps/cm-1?fieldSelector=metadata.name%3Dcm-1&timeoutSeconds=1');
    expect(same.status).toBe(200);
    expect(JSON.parse(same.body.trim().split('\n')[0]!)).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'cm-1' } } });
    // (an object's own path is a get whatever ?watch says: RequestInfo makes a watch only of a collection)
    const got = await raw('/api/v1/namespaces/default/configmaps/cm-1?watch=1');
    expect(got.status).toBe(200);
    expect(JSON.parse(got.body)).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'cm-1' } });
  });
});

describe('metrics.k8s.io GET of one pod (what kubectl top pod NAME reads)', () => {
  it("says as metrics-server says: a pod that is not there is the pod lister's NotFound, one with no metrics yet a NotFound naming namespace/name", async () => {
    const missing = await failure(cp.admin.request('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope'));
    expect(missing.status).toMatchObject({ message: 'pods "nope" not found', reason: 'NotFound', details: { name: 'nope', kind: 'pods' }, code: 404 });
    await cp.admin.create(core('pods'), 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unmeasured' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    const unmeasured = await failure(cp.admin.request('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/unmeasured'));
    expect(unmeasured.status).toMatchObject({ message: 'podmetrics.metrics.k8s.io "default/unmeasured" not found', reason: 'NotFound', details: { name: 'default/unmeasured', group: 'metrics.k8s.io', kind: 'podmetrics' }, code: 404 });
  });
});
