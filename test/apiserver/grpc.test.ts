// The gRPC frontend over the same registry: CRUD, binding, watch as a server stream, the same
// authentication (401 without a token) and authorization (a node's 403), errors carrying Status.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcApiClient } from '../../pkg/client/grpc-client.js';
import { connect } from '../../pkg/client/connect.js';
import { loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { Nodes, Pods, StatusError, type WatchEvent } from '../../pkg/client/rest-client.js';
import { Informer } from '../../pkg/client/informer.js';
import { tokenFor, ensureNodeToken } from '../../pkg/apiserver/pki.js';
import { eventually, node, pod, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
let admin: GrpcApiClient;
let address: string;
let ca: string;

beforeAll(async () => {
  cp = await startControlPlane({ grpcPort: 0, watchCacheSize: 20 });
  address = readFileSync(join(cp.dataDir, 'grpc-address'), 'utf8').trim();
  ca = readFileSync(join(cp.dataDir, 'pki', 'ca.crt'), 'utf8');
  admin = new GrpcApiClient(address, { caCert: ca, token: tokenFor(join(cp.dataDir, 'tokens.csv'), 'admin')! });
});
afterAll(async () => {
  admin?.close();
  await cp?.stop();
});

describe('gRPC frontend', () => {
  it('server-side apply: fieldManager, conflicts with their causes, force', async () => {
    const cfg = (app: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ga', labels: { app } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } });
    const created = await admin.patch(Pods, 'default', 'ga', cfg('a'), 'apply', '', { fieldManager: 'first' });
    expect(created.metadata?.managedFields?.map((e) => `${e.manager}/${e.operation}`)).toEqual(['first/Apply']);
    const missing = (await admin.patch(Pods, 'default', 'ga', cfg('a'), 'apply').catch((e: unknown) => e)) as StatusError;
    expect(missing.code).toBe(400);
    const clash = (await admin.patch(Pods, 'default', 'ga', cfg('b'), 'apply', '', { fieldManager: 'second' }).catch((e: unknown) => e)) as StatusError;
    expect(clash.code).toBe(409);
    expect(clash.status).toMatchObject({ reason: 'Conflict', details: { causes: [{ reason: 'FieldManagerConflict', field: '.metadata.labels.app' }] } });
    const forced = await admin.patch(Pods, 'default', 'ga', cfg('b'), 'apply', '', { fieldManager: 'second', force: true });
    expect(forced.metadata?.labels).toEqual({ app: 'b' });
    // Other writes are recorded under the client's user agent.
    const merged = await admin.patch(Pods, 'default', 'ga', { metadata: { annotations: { a: 'b' } } });
    expect(merged.metadata?.managedFields?.map((e) => `${e.manager}/${e.operation}`)).toEqual(['first/Apply', 'second/Apply', 'tsctl/Update']);
    await admin.delete(Pods, 'default', 'ga');
  });

  it('creates, gets, lists, patches, updates and deletes', async () => {
    const created = await admin.create(Pods, 'default', pod('g1'));
    expect(created.metadata?.uid).toBeTruthy();
    expect((await admin.get(Pods, 'default', 'g1')).metadata?.uid).toBe(created.metadata?.uid);
    // The same object through REST: one registry beneath both frontends.
    expect((await cp.admin.get(Pods, 'default', 'g1')).metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
    const patched = await admin.patch(Pods, 'default', 'g1', { metadata: { labels: { via: 'grpc' } } });
    expect(patched.metadata?.labels).toMatchObject({ via: 'grpc' });
    const list = await admin.list(Pods, 'default', { labelSelector: 'via=grpc' });
    expect(list.items.map((p) => p.metadata?.name)).toEqual(['g1']);
    const stale = await admin.update(Pods, 'default', 'g1', created).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(StatusError);
    expect((stale as StatusError).code).toBe(409);
    await admin.delete(Pods, 'default', 'g1', { gracePeriodSeconds: 0 });
    const gone = await admin.get(Pods, 'default', 'g1').catch((e: unknown) => e);
    expect((gone as StatusError).code).toBe(404);
    expect((gone as StatusError).status).toMatchObject({ kind: 'Status', reason: 'NotFound' });
  });

  it('validates like REST (422 naming the field)', async () => {
    const bad = pod('Bad');
    const e = await admin.create(Pods, 'default', bad).catch((x: unknown) => x);
    expect((e as StatusError).code).toBe(422);
    expect((e as StatusError).message).toContain('metadata.name');
  });

  it('lists at an exact resourceVersion, and checks the list options as REST does', async () => {
    const first = await admin.create(Pods, 'default', { ...pod('exact-a'), metadata: { name: 'exact-a', labels: { exact: 'yes' } } });
    await admin.create(Pods, 'default', { ...pod('exact-b'), metadata: { name: 'exact-b', labels: { exact: 'yes' } } });
    // (resourceVersionMatch=Exact reads the state at that revision: exact-b did not exist yet)
    const then = await admin.list(Pods, 'default', { labelSelector: 'exact=yes', resourceVersion: first.metadata!.resourceVersion!, resourceVersionMatch: 'Exact' });
    expect([then.items.map((p) => p.metadata?.name), then.metadata.resourceVersion]).toEqual([['exact-a'], first.metadata!.resourceVersion]);
    expect((await admin.list(Pods, 'default', { labelSelector: 'exact=yes' })).items).toHaveLength(2);
    const refused = (await admin.list(Pods, 'default', { resourceVersionMatch: 'Exact' }).catch((e: unknown) => e)) as StatusError;
    expect([refused.code, refused.message]).toEqual([422, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided']);
    await admin.delete(Pods, 'default', 'exact-a', { gracePeriodSeconds: 0 });
    await admin.delete(Pods, 'default', 'exact-b', { gracePeriodSeconds: 0 });
  });

  it('binds, and streams watch events from a resourceVersion', async () => {
    const start = (await admin.list(Pods, 'default')).metadata.resourceVersion;
    const seen: string[] = [];
    const w = await admin.watch(Pods, 'default', { resourceVersion: start }, (e) => seen.push(`${e.type} ${e.object.metadata?.name} ${(e.object.spec as { nodeName?: string }).nodeName ?? ''}`.trim()));
    await admin.create(Nodes, undefined, node('gn'));
    await admin.create(Pods, 'default', pod('g2'));
    await admin.bind('default', 'g2', 'gn');
    await eventually(() => seen.length >= 2);
    w.stop();
    await w.done;
    expect(seen).toEqual(['ADDED g2', 'MODIFIED g2 gn']);
  });

  it('a watch from a resourceVersion older than the window ends with one ERROR event carrying the 410 Status, as over REST; an informer relists on it', async () => {
    const old = (await admin.create(Pods, 'default', pod('old-0'))).metadata!.resourceVersion!;
    for (let i = 1; i <= 25; i++) await admin.create(Pods, 'default', pod(`old-${i}`));
    const events: WatchEvent[] = [];
    const w = await admin.watch(Pods, 'default', { resourceVersion: old }, (e) => events.push(e));
    await w.done;
    expect(events).toEqual([{ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', reason: 'Expired', code: 410, message: expect.stringMatching(/^too old resource version: /) }) }]);

    // An informer whose first watch resumes from that far back relists, then watches on.
    let watches = 0;
    const stale = Object.create(admin) as GrpcApiClient;
    stale.watch = (ref, ns, q, onEvent) => admin.watch(ref, ns, watches++ === 0 ? { ...q, resourceVersion: old } : q, onEvent);
    const inf = new Informer(stale, Pods, { namespace: 'default' }).start();
    try {
      await inf.hasSynced();
      await eventually(() => inf.relists === 2 && watches >= 2);
      await admin.create(Pods, 'default', pod('old-late'));
      await eventually(() => inf.get('default/old-late') !== undefined);
    } finally {
      inf.stop();
    }
  });

  it('closeAllConnections ends the watches and dials afresh, as the kubelet\'s connrotation CloseAll: an informer watches on', async () => {
    const c = new GrpcApiClient(address, { caCert: ca, token: tokenFor(join(cp.dataDir, 'tokens.csv'), 'admin')! });
    const inf = new Informer(c, Pods, { namespace: 'default' }).start();
    try {
      await inf.hasSynced();
      const w = await c.watch(Pods, 'default', {}, () => {});
      c.closeAllConnections();
      // (the watch on the old channel ends; calls go over a new one)
      await w.done;
      expect((await c.get(Pods, 'default', 'g2')).metadata?.name).toBe('g2');
      await admin.create(Pods, 'default', pod('after-close'));
      await eventually(() => inf.get('default/after-close') !== undefined);
    } finally {
      inf.stop();
      c.close();
    }
  });

  it('the kubeconfigs the apiserver writes name the gRPC frontend; connect() uses it', async () => {
    const kc = loadKubeconfig(join(cp.dataDir, 'scheduler.kubeconfig'));
    expect(kc.grpcServer).toBe(address);
    const c = connect(kc);
    try {
      expect(c).toBeInstanceOf(GrpcApiClient);
      expect((await c.list(Pods, 'default')).items.length).toBeGreaterThan(0);
    } finally {
      c.close();
    }
    expect(connect(kc, 'rest')).not.toBeInstanceOf(GrpcApiClient);
  });

  it('authenticates and authorizes like REST', async () => {
    const anon = new GrpcApiClient(address, { caCert: ca, token: 'nope' });
    const nodeClient = new GrpcApiClient(address, { caCert: ca, token: ensureNodeToken(join(cp.dataDir, 'tokens.csv'), 'gn') });
    try {
      expect(((await anon.list(Pods, 'default').catch((e: unknown) => e)) as StatusError).code).toBe(401);
      expect(((await nodeClient.create(Pods, 'default', pod('sneaky')).catch((e: unknown) => e)) as StatusError).code).toBe(403);
      expect((await nodeClient.list(Pods, 'default')).items.length).toBeGreaterThan(0);
    } finally {
      anon.close();
      nodeClient.close();
    }
  });
});
