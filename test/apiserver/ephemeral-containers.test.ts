// The pods/ephemeralcontainers subresource against a real apiserver and etcd: ephemeral
// containers are added (strategic merge, JSON merge and JSON patch, PUT), never changed or
// removed, validated as Kubernetes does; the rest of the body is ignored; the main resource
// cannot change them; nodes may not write them; discovery lists the subresource; gRPC serves
// it too; and the stock `kubectl debug` adds its container.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EphemeralContainer, KubeObject, Pod } from '../../pkg/api/types.js';
import { tokenFor } from '../../pkg/apiserver/pki.js';
import { GrpcApiClient } from '../../pkg/client/grpc-client.js';
import { core, Nodes, Pods, ReplicaSets } from '../../pkg/client/rest-client.js';
import { EtcdClient } from '../../pkg/apiserver/etcd-client.js';
import { eventually, failure, node, pod, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt } from '../helpers/kubectl.js';

let cp: TestControlPlane;
const Secrets = core('secrets');
const ConfigMaps = core('configmaps');
let dir: string;

const sub = (name: string) => `/api/v1/namespaces/default/pods/${name}/ephemeralcontainers`;
const ecsOf = (p: KubeObject) => (p as Pod).spec?.ephemeralContainers ?? [];
const debugger_ = (name: string, extra: Partial<EphemeralContainer> = {}): EphemeralContainer => ({ name, image: 'busybox:1.36', command: ['sh'], stdin: true, tty: true, ...extra });

/** A pod bound to node n1 and Running, so that status and ephemeral containers coexist. */
async function runningPod(name: string): Promise<KubeObject> {
  await cp.admin.create(Pods, 'default', pod(name));
  await cp.admin.bind('default', name, 'n1');
  return cp.admin.patch(Pods, 'default', name, { status: { phase: 'Running', podIP: '10.0.0.9' } }, 'merge', 'status');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-ephemeral-'));
  cp = await startControlPlane({ grpcPort: 0 });
  await cp.admin.create(Nodes, undefined, node('n1'));
});
afterAll(async () => {
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('pods/ephemeralcontainers', () => {
  it('adds one, then a second, by strategic merge patch; status is kept, resourceVersion bumped, the answer is the Pod', async () => {
    const before = await runningPod('e1');
    const first = await cp.admin.patch(Pods, 'default', 'e1', { spec: { ephemeralContainers: [debugger_('dbg1', { targetContainerName: 'main' })] } }, 'strategic', 'ephemeralcontainers');
    expect(first.kind).toBe('Pod');
    expect(Number(first.metadata!.resourceVersion)).toBeGreaterThan(Number(before.metadata!.resourceVersion));
    expect(ecsOf(first)).toEqual([
      // (resources: {}, as Go writes EphemeralContainerCommon.Resources, a struct by value)
      { ...debugger_('dbg1', { targetContainerName: 'main' }), imagePullPolicy: 'IfNotPresent', resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' },
    ]);
    expect(first.status).toMatchObject({ phase: 'Running', podIP: '10.0.0.9' });
    expect((first.spec as { nodeName?: string }).nodeName).toBe('n1');

    const second = await cp.admin.patch(Pods, 'default', 'e1', { spec: { ephemeralContainers: [debugger_('dbg2')] } }, 'strategic', 'ephemeralcontainers');
    expect(ecsOf(second).map((c) => c.name)).toEqual(['dbg1', 'dbg2']);
    const stored = await cp.admin.get(Pods, 'default', 'e1');
    expect(ecsOf(stored).map((c) => c.name)).toEqual(['dbg1', 'dbg2']);
    expect(stored.status).toMatchObject({ phase: 'Running' });
  });

  it('GET of the subresource answers the whole Pod', async () => {
    const got = await cp.admin.request<KubeObject>(sub('e1'));
    expect(got.kind).toBe('Pod');
    expect(got.metadata?.name).toBe('e1');
    expect(ecsOf(got).map((c) => c.name)).toEqual(['dbg1', 'dbg2']);
  });

  it('JSON merge and JSON patch add too; everything but spec.ephemeralContainers in the body is ignored', async () => {
    await runningPod('e2');
    const merged = await cp.admin.patch(
      Pods,
      'default',
      'e2',
      { metadata: { labels: { sneaky: 'yes' } }, spec: { activeDeadlineSeconds: 5, ephemeralContainers: [debugger_('m1')] }, status: { phase: 'Failed' } },
      'merge',
      'ephemeralcontainers',
    );
    expect(ecsOf(merged).map((c) => c.name)).toEqual(['m1']);
    expect(merged.metadata?.labels).toEqual({ app: 'e2' });
    expect((merged.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds).toBeUndefined();
    expect(merged.status).toMatchObject({ phase: 'Running' });
    const patched = await cp.admin.patch(Pods, 'default', 'e2', [{ op: 'add', path: '/spec/ephemeralContainers/-', value: debugger_('j1') }], 'json', 'ephemeralcontainers');
    expect(ecsOf(patched).map((c) => c.name)).toEqual(['m1', 'j1']);
  });

  it('PUT adds; a stale resourceVersion is 409', async () => {
    const cur = await runningPod('e3');
    const body = structuredClone(cur) as Pod;
    body.spec!.ephemeralContainers = [debugger_('p1')];
    const put = await cp.admin.update(Pods, 'default', 'e3', body, 'ephemeralcontainers');
    expect(ecsOf(put).map((c) => c.name)).toEqual(['p1']);
    body.spec!.ephemeralContainers = [debugger_('p1'), debugger_('p2')];
    const e = await failure(cp.admin.update(Pods, 'default', 'e3', body, 'ephemeralcontainers'));
    expect(e.code).toBe(409);
    expect(e.status).toMatchObject({ reason: 'Conflict' });
    expect(ecsOf(await cp.admin.get(Pods, 'default', 'e3')).map((c) => c.name)).toEqual(['p1']);
  });

  it('an existing ephemeral container may not be changed or removed (422 naming spec.ephemeralContainers)', async () => {
    const changed = await failure(
      cp.admin.patch(Pods, 'default', 'e1', { spec: { ephemeralContainers: [{ name: 'dbg1', image: 'busybox:1.37' }] } }, 'strategic', 'ephemeralcontainers'),
    );
    expect(changed.code).toBe(422);
    expect(changed.status).toMatchObject({ reason: 'Invalid', details: { causes: [{ reason: 'FieldValueForbidden', field: 'spec.ephemeralContainers' }] } });
    expect(changed.message).toContain('existing ephemeral containers "dbg1" may not be changed');
    expect(changed.message).toContain('image');

    const removed = await failure(cp.admin.patch(Pods, 'default', 'e1', [{ op: 'remove', path: '/spec/ephemeralContainers/1' }], 'json', 'ephemeralcontainers'));
    expect(removed.code).toBe(422);
    expect(removed.message).toContain('existing ephemeral containers "dbg2" may not be removed');
    const all = await failure(cp.admin.patch(Pods, 'default', 'e1', { spec: { ephemeralContainers: null } }, 'merge', 'ephemeralcontainers'));
    expect(all.code).toBe(422);
    expect(ecsOf(await cp.admin.get(Pods, 'default', 'e1')).map((c) => c.name)).toEqual(['dbg1', 'dbg2']);
  });

  it('ports, probes, lifecycle and resources are forbidden; names are unique; the target must exist; image is required', async () => {
    const add = (c: EphemeralContainer | Record<string, unknown>) => failure(cp.admin.patch(Pods, 'default', 'e1', { spec: { ephemeralContainers: [c] } }, 'strategic', 'ephemeralcontainers'));
    // Each cause is a field and `Type: detail`, as Kubernetes writes it (kubectl joins them with ': ').
    const causes = (e: { status?: unknown }) => ((e.status as { details?: { causes?: { field: string; message: string }[] } }).details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);

    const ports = await add({ ...debugger_('x1'), ports: [{ containerPort: 80 }] });
    expect(ports.code).toBe(422);
    expect(causes(ports)).toContain('spec.ephemeralContainers[2].ports: Forbidden: cannot be set for an Ephemeral Container');
    expect(ports.message).toContain('spec.ephemeralContainers[2].ports: Forbidden: cannot be set for an Ephemeral Container');

    const more = await add({ ...debugger_('x2'), readinessProbe: { exec: { command: ['true'] } }, lifecycle: { preStop: { exec: { command: ['true'] } } }, resources: { limits: { cpu: '1' } } });
    expect(causes(more)).toEqual(
      expect.arrayContaining([
        'spec.ephemeralContainers[2].readinessProbe: Forbidden: cannot be set for an Ephemeral Container',
        'spec.ephemeralContainers[2].lifecycle: Forbidden: cannot be set for an Ephemeral Container',
        'spec.ephemeralContainers[2].resources: Forbidden: cannot be set for an Ephemeral Container',
      ]),
    );

    const dupOfContainer = await add(debugger_('main'));
    expect(causes(dupOfContainer)).toContain('spec.ephemeralContainers[2].name: Duplicate value: "main"');

    const target = await add(debugger_('x3', { targetContainerName: 'nope' }));
    expect(causes(target)).toContain('spec.ephemeralContainers[2].targetContainerName: Not found: "nope"');

    const noImage = await add({ name: 'X_4' });
    expect(causes(noImage)).toEqual(expect.arrayContaining(['spec.ephemeralContainers[2].image: Required value', expect.stringMatching(/^spec\.ephemeralContainers\[2\]\.name: Invalid value: "X_4": a lowercase RFC 1123 label/)]));
    expect(ecsOf(await cp.admin.get(Pods, 'default', 'e1')).map((c) => c.name)).toEqual(['dbg1', 'dbg2']);
  });

  it('a duplicate ephemeral container name in one PUT is refused', async () => {
    const cur = (await cp.admin.get(Pods, 'default', 'e3')) as Pod;
    cur.spec!.ephemeralContainers = [...cur.spec!.ephemeralContainers!, debugger_('p1'), debugger_('q1')];
    const e = await failure(cp.admin.update(Pods, 'default', 'e3', cur, 'ephemeralcontainers'));
    expect(e.code).toBe(422);
    expect(e.message).toContain('spec.ephemeralContainers[1].name: Duplicate value: "p1"');
  });

  it('the main resource cannot change spec.ephemeralContainers', async () => {
    const cur = (await cp.admin.get(Pods, 'default', 'e3')) as Pod;
    cur.spec!.ephemeralContainers = [...cur.spec!.ephemeralContainers!, debugger_('via-main')];
    const put = await failure(cp.admin.update(Pods, 'default', 'e3', cur));
    expect(put.code).toBe(422);
    expect(put.status).toMatchObject({ details: { causes: [{ reason: 'FieldValueForbidden', field: 'spec' }] } });
    expect(put.message).toContain('pod updates may not change fields other than');
    const patched = await failure(cp.admin.patch(Pods, 'default', 'e3', { spec: { ephemeralContainers: [debugger_('via-patch')] } }, 'strategic'));
    expect(patched.code).toBe(422);
    expect(patched.message).toContain('pod updates may not change fields other than');
    const created = await failure(cp.admin.create(Pods, 'default', { ...pod('with-ec'), spec: { containers: [{ name: 'main', image: 'busybox:1.36' }], ephemeralContainers: [debugger_('d', { ports: [{ containerPort: 1 }] })] } }));
    expect(created.message).toContain('spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container');
  });

  it('a pod cannot be created with ephemeral containers, nor a workload template hold them (Kubernetes\' ValidatePodCreate)', async () => {
    const created = await failure(cp.admin.create(Pods, 'default', { ...pod('with-ec2'), spec: { containers: [{ name: 'main', image: 'busybox:1.36' }], ephemeralContainers: [debugger_('d')] } }));
    expect(created.code).toBe(422);
    expect(created.message).toBe('Pod "with-ec2" is invalid: spec.ephemeralContainers: Forbidden: cannot be set on create');
    const template = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }], ephemeralContainers: [debugger_('d')] } };
    const rs = await failure(cp.admin.create(ReplicaSets, 'default', { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs-ec' }, spec: { selector: { matchLabels: { app: 'x' } }, template } }));
    expect(rs.code).toBe(422);
    expect(rs.message).toBe('ReplicaSet.apps "rs-ec" is invalid: spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template');
  });

  it('a node may read the Secret and ConfigMap an ephemeral container of a pod bound to it refers to', async () => {
    await runningPod('e-env');
    await cp.admin.create(Secrets, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'debug-token' }, data: { t: 'eA==' } });
    await cp.admin.create(ConfigMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'debug-env' }, data: { a: 'b' } });
    const n1 = cp.nodeClient('n1');
    expect((await failure(n1.get(Secrets, 'default', 'debug-token'))).code).toBe(403);
    const env = [{ name: 'T', valueFrom: { secretKeyRef: { name: 'debug-token', key: 't' } } }];
    await cp.admin.patch(Pods, 'default', 'e-env', { spec: { ephemeralContainers: [debugger_('dbg-env', { env, envFrom: [{ configMapRef: { name: 'debug-env' } }] })] } }, 'strategic', 'ephemeralcontainers');
    expect((await n1.get(Secrets, 'default', 'debug-token')).metadata?.name).toBe('debug-token');
    expect((await n1.get(ConfigMaps, 'default', 'debug-env')).metadata?.name).toBe('debug-env');
  });

  it('a node gets 403, even for a pod bound to it; the admin may', async () => {
    const n1 = cp.nodeClient('n1');
    const e = await failure(n1.patch(Pods, 'default', 'e1', { spec: { ephemeralContainers: [debugger_('from-node')] } }, 'strategic', 'ephemeralcontainers'));
    expect(e.code).toBe(403);
    expect(e.message).toBe('pods "e1" is forbidden: User "system:node:n1" cannot patch resource "pods/ephemeralcontainers" in API group "" in the namespace "default"');
    expect(e.status).toMatchObject({ reason: 'Forbidden', details: { name: 'e1', kind: 'pods' } });
    const put = await failure(n1.update(Pods, 'default', 'e1', await cp.admin.get(Pods, 'default', 'e1'), 'ephemeralcontainers'));
    expect(put.code).toBe(403);
  });

  it('records the manager with subresource ephemeralcontainers in managedFields', async () => {
    const p = await cp.admin.get(Pods, 'default', 'e1');
    const entry = p.metadata?.managedFields?.find((m) => m.subresource === 'ephemeralcontainers');
    expect(entry).toMatchObject({ manager: 'tsctl', operation: 'Update', apiVersion: 'v1', subresource: 'ephemeralcontainers' });
    const owned = entry!.fieldsV1 as { 'f:spec': { 'f:ephemeralContainers': Record<string, unknown> } };
    expect(Object.keys(owned)).toEqual(['f:spec']);
    expect(Object.keys(owned['f:spec'])).toEqual(['f:ephemeralContainers']);
    expect(Object.keys(owned['f:spec']['f:ephemeralContainers'])).toEqual(expect.arrayContaining(['k:{"name":"dbg1"}', 'k:{"name":"dbg2"}']));
  });

  it('server-side apply through the subresource owns spec.ephemeralContainers only', async () => {
    await runningPod('e5');
    const cfg = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'e5', labels: { ignored: 'yes' } }, spec: { ephemeralContainers: [debugger_('a1')] } };
    const applied = await cp.admin.patch(Pods, 'default', 'e5', cfg, 'apply', 'ephemeralcontainers');
    expect(ecsOf(applied).map((c) => c.name)).toEqual(['a1']);
    expect(applied.metadata?.labels).toEqual({ app: 'e5' });
    expect(applied.metadata?.managedFields?.find((m) => m.operation === 'Apply')).toMatchObject({ manager: 'tsctl', subresource: 'ephemeralcontainers' });
  });

  it('discovery lists pods/ephemeralcontainers (kind Pod, get patch update)', async () => {
    const list = await cp.admin.request<{ resources: { name: string; kind: string; verbs: string[] }[] }>('/api/v1');
    expect(list.resources.find((r) => r.name === 'pods/ephemeralcontainers')).toEqual({ name: 'pods/ephemeralcontainers', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] });
  });

  it('other resources have no ephemeralcontainers subresource (404: no route)', async () => {
    const e = await failure(cp.admin.patch(Nodes, undefined, 'n1', { spec: {} }, 'merge', 'ephemeralcontainers'));
    expect(e.code).toBe(404);
  });

  it('the gRPC frontend serves the subresource too', async () => {
    const address = readFileSync(join(cp.dataDir, 'grpc-address'), 'utf8').trim();
    const ca = readFileSync(join(cp.dataDir, 'pki', 'ca.crt'), 'utf8');
    const g = new GrpcApiClient(address, { caCert: ca, token: tokenFor(join(cp.dataDir, 'tokens.csv'), 'admin')! });
    try {
      await runningPod('e4');
      const out = await g.patch(Pods, 'default', 'e4', { spec: { ephemeralContainers: [debugger_('g1')] } }, 'strategic', 'ephemeralcontainers');
      expect(ecsOf(out).map((c) => c.name)).toEqual(['g1']);
      const refused = (await g.patch(Pods, 'default', 'e4', { spec: { ephemeralContainers: [{ name: 'g1', image: 'other:1' }] } }, 'strategic', 'ephemeralcontainers').catch((x: unknown) => x)) as { code: number; message: string };
      expect(refused.code).toBe(422);
      expect(refused.message).toContain('existing ephemeral containers "g1" may not be changed');
    } finally {
      g.close();
    }
  });
});

describe.skipIf(!hasKubectl)('kubectl debug', () => {
  const kubectl = (...args: string[]) => kubectlAt(cp.kubeconfig, join(dir, 'cache'), args);

  it('adds an ephemeral container targeting a container', async () => {
    await runningPod('k1');
    const out = await kubectl('debug', 'k1', '--image=busybox:1.36', '-c', 'dbg', '--target=main', '--', 'true');
    expect(out.err).not.toMatch(/error/i);
    expect(out.code).toBe(0);
    const p = (await cp.admin.get(Pods, 'default', 'k1')) as Pod;
    expect(p.spec?.ephemeralContainers).toEqual([expect.objectContaining({ name: 'dbg', image: 'busybox:1.36', targetContainerName: 'main', command: ['true'] })]);
    const entry = p.metadata?.managedFields?.find((m) => m.subresource === 'ephemeralcontainers');
    expect(entry).toMatchObject({ manager: 'kubectl', operation: 'Update' });
  });

  it('with --profile=general (SYS_PTRACE), next to the first one', async () => {
    const out = await kubectl('debug', 'k1', '--image=busybox:1.36', '-c', 'dbg2', '--profile=general', '--', 'true');
    expect(out.code).toBe(0);
    const p = (await cp.admin.get(Pods, 'default', 'k1')) as Pod;
    expect(p.spec?.ephemeralContainers?.map((c) => c.name)).toEqual(['dbg', 'dbg2']);
    expect(p.spec?.ephemeralContainers?.[1]?.securityContext?.capabilities?.add).toEqual(['SYS_PTRACE']);
  });
});

describe('a pod stored without a struct by value', () => {
  it('is compared as Go decodes it: an update that gives its containers resources: {} changes nothing immutable', async () => {
    await cp.admin.create(Pods, 'default', pod('raw'));
    // (a pod written without resources, as tskube stored pods before value structs were filled)
    const etcd = new EtcdClient(cp.server.etcdEndpoints);
    try {
      const key = Buffer.from('/registry/pods/default/raw');
      const stored = JSON.parse(Buffer.from((await etcd.range({ key })).kvs![0]!.value!).toString()) as Pod;
      delete stored.spec!.containers![0]!.resources;
      await etcd.put({ key, value: Buffer.from(JSON.stringify(stored)) });
    } finally {
      etcd.close();
    }
    const got = await eventually(async () => {
      const p = (await cp.admin.get(Pods, 'default', 'raw')) as Pod;
      if (p.spec!.containers![0]!.resources) throw new Error('the raw write is not read back yet');
      return p;
    });
    got.spec!.containers![0]!.resources = {};
    got.metadata!.labels = { changed: 'yes' };
    const updated = (await cp.admin.update(Pods, 'default', 'raw', got)) as Pod;
    expect(updated.metadata?.labels).toEqual({ changed: 'yes' });
    expect(updated.spec!.containers![0]!.resources).toEqual({});
  });
});
