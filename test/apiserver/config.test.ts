// ConfigMaps and Secrets against the real apiserver and etcd: CRUD over REST and gRPC, the
// write-only stringData, Kubernetes' validation Statuses, field selectors, tables and
// server-side apply with per-key ownership of data.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdClient } from '../../pkg/apiserver/etcd-client.js';
import { tokenFor } from '../../pkg/apiserver/pki.js';
import { GrpcApiClient } from '../../pkg/client/grpc-client.js';
import { core, type RestClient } from '../../pkg/client/rest-client.js';
import type { ConfigMap, Secret } from '../../pkg/api/types.js';
import { failure, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

const ConfigMaps = core('configmaps');
const Secrets = core('secrets');
const b64 = (s: string) => Buffer.from(s).toString('base64');

let cp: TestControlPlane;
let admin: RestClient;

beforeAll(async () => {
  cp = await startControlPlane({ grpcPort: 0 });
  admin = cp.admin;
});
afterAll(async () => {
  await cp?.stop();
});

describe('configmaps', () => {
  it('create, get, list, update, delete', async () => {
    const created = await admin.create<ConfigMap>(ConfigMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app' }, data: { 'app.conf': 'port=80\n' }, binaryData: { blob: b64('\x00\x01') } });
    expect(created).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: 'default' }, data: { 'app.conf': 'port=80\n' }, binaryData: { blob: 'AAE=' } });
    expect(Number(created.metadata?.resourceVersion)).toBeGreaterThan(0);
    const list = await admin.list<ConfigMap>(ConfigMaps, 'default');
    expect(list.items.map((c) => c.metadata?.name)).toContain('app');
    const updated = await admin.update<ConfigMap>(ConfigMaps, 'default', 'app', { ...created, data: { 'app.conf': 'port=81\n', extra: 'x' } });
    expect(updated.data).toEqual({ 'app.conf': 'port=81\n', extra: 'x' });
    const patched = await admin.patch<ConfigMap>(ConfigMaps, 'default', 'app', { data: { extra: null, more: 'y' } }, 'merge');
    expect(patched.data).toEqual({ 'app.conf': 'port=81\n', more: 'y' });
    await admin.delete(ConfigMaps, 'default', 'app');
    expect((await failure(admin.get(ConfigMaps, 'default', 'app'))).status).toMatchObject({ reason: 'NotFound', message: 'configmaps "app" not found' });
  });

  it('is stored under /registry/configmaps/<namespace>/<name>', async () => {
    await admin.create(ConfigMaps, 'default', { metadata: { name: 'keyed' }, data: { a: 'b' } });
    const etcd = new EtcdClient(cp.server.etcdEndpoints);
    try {
      const got = await etcd.range({ key: Buffer.from('/registry/configmaps/default/keyed') });
      expect(JSON.parse(Buffer.from(got.kvs![0]!.value!).toString())).toMatchObject({ kind: 'ConfigMap', data: { a: 'b' } });
    } finally {
      etcd.close();
    }
  });

  it('rejects bad keys, keys in both maps, more than 1 MiB and bad base64 with the field named', async () => {
    const bad = await failure(admin.create(ConfigMaps, 'default', { metadata: { name: 'bad' }, data: { 'a b': 'x', k: 'y' }, binaryData: { k: b64('z') } }));
    expect(bad.code).toBe(422);
    expect(bad.status?.details).toMatchObject({ kind: 'ConfigMap', name: 'bad', causes: [{ reason: 'FieldValueInvalid', field: 'data[a b]' }, { reason: 'FieldValueInvalid', field: 'data[k]', message: 'Invalid value: "k": duplicate of key present in binaryData' }] });
    expect(bad.message).toContain("a valid config key must consist of alphanumeric characters, '-', '_' or '.'");
    const big = await failure(admin.create(ConfigMaps, 'default', { metadata: { name: 'big' }, data: { a: 'x'.repeat(1024 * 1024 + 1) } }));
    expect(big.code).toBe(422);
    expect(big.message).toBe('ConfigMap "big" is invalid: []: Too long: must have at most 1048576 bytes');
    const b = await failure(admin.create(ConfigMaps, 'default', { metadata: { name: 'b64' }, binaryData: { k: 'not base64!' } }));
    expect(b.code).toBe(400);
    expect(b.status?.details).toMatchObject({ causes: [{ field: 'binaryData[k]' }] });
    expect(b.message).toContain('illegal base64 data at input byte 3');
  });

  it('immutable: data and binaryData frozen, immutable cannot be unset, metadata can change, delete works', async () => {
    const cm = await admin.create<ConfigMap>(ConfigMaps, 'default', { metadata: { name: 'frozen' }, data: { a: '1' }, immutable: true });
    const e = await failure(admin.update(ConfigMaps, 'default', 'frozen', { ...cm, data: { a: '2' } }));
    expect(e.code).toBe(422);
    expect(e.message).toBe('ConfigMap "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set');
    const unset = await failure(admin.patch(ConfigMaps, 'default', 'frozen', { immutable: false }, 'merge'));
    expect(unset.status?.details).toMatchObject({ causes: [{ reason: 'FieldValueForbidden', field: 'immutable' }] });
    const labelled = await admin.patch<ConfigMap>(ConfigMaps, 'default', 'frozen', { metadata: { labels: { a: 'b' } } }, 'merge');
    expect(labelled.metadata?.labels).toEqual({ a: 'b' });
    await admin.delete(ConfigMaps, 'default', 'frozen');
  });
});

describe('secrets', () => {
  it('merges stringData into data (base64, stringData wins), never stores it, defaults type Opaque', async () => {
    const created = await admin.create<Secret>(Secrets, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' }, data: { user: b64('old'), keep: b64('k') }, stringData: { user: 'admin', pass: 'hunter2' } });
    expect(created.type).toBe('Opaque');
    expect(created.data).toEqual({ user: b64('admin'), keep: b64('k'), pass: b64('hunter2') });
    expect(created).not.toHaveProperty('stringData');
    const got = await admin.get<Secret>(Secrets, 'default', 's1');
    expect(got).not.toHaveProperty('stringData');
    const patched = await admin.patch<Secret>(Secrets, 'default', 's1', { stringData: { pass: 'changed' } }, 'merge');
    expect(patched.data?.pass).toBe(b64('changed'));
    expect(patched).not.toHaveProperty('stringData');
  });

  it('rejects bad base64 with 400, bad keys with 422, and a changed type as immutable', async () => {
    const b = await failure(admin.create(Secrets, 'default', { metadata: { name: 'b64' }, data: { p: 'abc' } }));
    expect(b.code).toBe(400);
    expect(b.status).toMatchObject({ reason: 'BadRequest', details: { causes: [{ field: 'data[p]' }] } });
    expect(b.message).toContain('illegal base64 data at input byte 0');
    const k = await failure(admin.create(Secrets, 'default', { metadata: { name: 'k' }, stringData: { 'a/b': 'x' } }));
    expect(k.code).toBe(422);
    expect(k.status?.details).toMatchObject({ causes: [{ field: 'data[a/b]' }] });
    const typed = await failure(admin.patch(Secrets, 'default', 's1', { type: 'example.com/other' }, 'merge'));
    expect(typed.code).toBe(422);
    expect(typed.message).toBe('Secret "s1" is invalid: type: Invalid value: "example.com/other": field is immutable');
  });

  it('requires the keys of kubernetes.io/tls and kubernetes.io/dockerconfigjson', async () => {
    const tls = await failure(admin.create(Secrets, 'default', { metadata: { name: 'tls' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'c' } }));
    expect(tls.code).toBe(422);
    expect(tls.message).toBe('Secret "tls" is invalid: data[tls.key]: Required value');
    await admin.create(Secrets, 'default', { metadata: { name: 'tls' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'c', 'tls.key': 'k' } });
    const docker = await failure(admin.create(Secrets, 'default', { metadata: { name: 'reg' }, type: 'kubernetes.io/dockerconfigjson', data: {} }));
    expect(docker.status?.details).toMatchObject({ causes: [{ reason: 'FieldValueRequired', field: 'data[.dockerconfigjson]' }] });
  });

  it('immutable secrets keep their data; field selectors on type and metadata.name', async () => {
    await admin.create(Secrets, 'default', { metadata: { name: 'frozen' }, stringData: { a: '1' }, immutable: true });
    const e = await failure(admin.patch(Secrets, 'default', 'frozen', { stringData: { a: '2' } }, 'merge'));
    expect(e.message).toBe('Secret "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set');
    const tls = await admin.list<Secret>(Secrets, 'default', { fieldSelector: 'type=kubernetes.io/tls' });
    expect(tls.items.map((s) => s.metadata?.name)).toEqual(['tls']);
    const notOpaque = await admin.list<Secret>(Secrets, undefined, { fieldSelector: 'type!=Opaque,metadata.namespace=default' });
    expect(notOpaque.items.map((s) => s.metadata?.name)).toEqual(['tls']);
    const byName = await admin.list<Secret>(Secrets, 'default', { fieldSelector: 'metadata.name=frozen' });
    expect(byName.items.map((s) => s.metadata?.name)).toEqual(['frozen']);
    const unsupported = await failure(admin.list(ConfigMaps, 'default', { fieldSelector: 'type=Opaque' }));
    expect(unsupported.code).toBe(400);
  });

  it('serves kubectl tables: NAME DATA AGE and NAME TYPE DATA AGE', async () => {
    await admin.create(ConfigMaps, 'default', { metadata: { name: 'tab' }, data: { a: '1', b: '2' }, binaryData: { c: b64('3') } });
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io';
    const cms = await admin.request<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }>('/api/v1/namespaces/default/configmaps/tab', { accept });
    expect(cms.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Data', 'Age']);
    expect(cms.rows[0]!.cells.slice(0, 2)).toEqual(['tab', 3]);
    const secrets = await admin.request<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }>('/api/v1/namespaces/default/secrets/tls', { accept });
    expect(secrets.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Type', 'Data', 'Age']);
    expect(secrets.rows[0]!.cells.slice(0, 3)).toEqual(['tls', 'kubernetes.io/tls', 2]);
  });

  it('discovery lists both with their verbs and short names', async () => {
    const v1 = await admin.request<{ resources: { name: string; kind: string; namespaced: boolean; shortNames?: string[]; verbs: string[] }[] }>('/api/v1');
    const cm = v1.resources.find((r) => r.name === 'configmaps');
    expect(cm).toMatchObject({ kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] });
    expect(cm?.verbs).toEqual(expect.arrayContaining(['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']));
    expect(v1.resources.find((r) => r.name === 'secrets')).toMatchObject({ kind: 'Secret', namespaced: true });
  });
});

describe('server-side apply and gRPC', () => {
  it('owns data per key: two managers share a ConfigMap; a conflict names the key', async () => {
    const apply = (manager: string, data: Record<string, string>, force = false) =>
      admin.request<ConfigMap>('/api/v1/namespaces/default/configmaps/shared', {
        method: 'PATCH',
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared' }, data },
        contentType: 'application/apply-patch+yaml',
        query: { fieldManager: manager, ...(force ? { force: true } : {}) },
      });
    await apply('one', { a: '1' });
    const both = await apply('two', { b: '2' });
    expect(both.data).toEqual({ a: '1', b: '2' });
    const owned = Object.fromEntries(both.metadata!.managedFields!.map((m) => [m.manager, Object.keys((m.fieldsV1 as Record<string, Record<string, unknown>>)['f:data'] ?? {})]));
    expect(owned).toEqual({ one: ['f:a'], two: ['f:b'] });
    const clash = await failure(apply('two', { a: 'x', b: '2' }));
    expect(clash.code).toBe(409);
    expect(clash.status).toMatchObject({ details: { causes: [{ reason: 'FieldManagerConflict', field: '.data.a' }] } });
    // Dropping a key from one's configuration removes it: the other manager's key stays.
    const dropped = await apply('one', {});
    expect(dropped.data).toEqual({ b: '2' });
  });

  it('the gRPC frontend serves both kinds by resource name', async () => {
    const address = readFileSync(join(cp.dataDir, 'grpc-address'), 'utf8').trim();
    const ca = readFileSync(join(cp.dataDir, 'pki', 'ca.crt'), 'utf8');
    const grpc = new GrpcApiClient(address, { caCert: ca, token: tokenFor(join(cp.dataDir, 'tokens.csv'), 'admin')! });
    try {
      const s = await grpc.create<Secret>(Secrets, 'default', { metadata: { name: 'via-grpc' }, stringData: { k: 'v' } });
      expect(s).toMatchObject({ kind: 'Secret', type: 'Opaque', data: { k: b64('v') } });
      expect(s).not.toHaveProperty('stringData');
      await grpc.create(ConfigMaps, 'default', { metadata: { name: 'via-grpc' }, data: { k: 'v' } });
      expect((await grpc.get<ConfigMap>(ConfigMaps, 'default', 'via-grpc')).data).toEqual({ k: 'v' });
      const bad = (await grpc.create(Secrets, 'default', { metadata: { name: 'bad' }, data: { k: '!' } }).catch((e: unknown) => e)) as { code: number };
      expect(bad.code).toBe(400);
      const list = await grpc.list<Secret>(Secrets, 'default', { fieldSelector: 'metadata.name=via-grpc' });
      expect(list.items).toHaveLength(1);
      await grpc.delete(Secrets, 'default', 'via-grpc');
    } finally {
      grpc.close();
    }
  });
});
