// The stock kubectl's server-side apply against our apiserver: create, a conflicting apply by a
// second field manager (refused, naming the field), the same with --force-conflicts, and the
// managedFields entries shown by `get -o yaml --show-managed-fields`; the list, map and struct
// types and patch strategies of 1.32's schema as kubectl meets them (Service ports keyed by port
// and protocol, atomic selectors, a Deployment's strategy patched with $retainKeys).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yaml from 'js-yaml';
import type { Deployment, ManagedFieldsEntry, Service } from '../../pkg/api/types.js';
import { Deployments, Pods, Services } from '../../pkg/client/rest-client.js';
import { startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt } from '../helpers/kubectl.js';

let cp: TestControlPlane;
let dir: string;

const kubectl = (...args: string[]) => kubectlAt(cp.kubeconfig, join(dir, 'cache'), args);

const manifest = (app: string, image = 'busybox:1.36') => `apiVersion: v1
kind: Pod
metadata:
  name: ssa
  labels:
    app: ${app}
spec:
  containers:
  - name: main
    image: ${image}
    command: ["sleep", "3600"]
    ports:
    - containerPort: 8080
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-kubectl-ssa-'));
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasKubectl)('kubectl apply --server-side', () => {
  it('applies, refuses a conflicting manager, forces it, and shows the managed fields', async () => {
    const file = join(dir, 'ssa.yaml');
    writeFileSync(file, manifest('web'));
    const created = await kubectl('apply', '--server-side', '-f', file);
    expect(created.err).toBe('');
    expect(created.out.trim()).toBe('pod/ssa serverside-applied');

    const other = join(dir, 'other.yaml');
    writeFileSync(other, manifest('other'));
    const refused = await kubectl('apply', '--server-side', '--field-manager=other', '-f', other);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain('Apply failed with 1 conflict: conflict with "kubectl": .metadata.labels.app');
    expect(refused.err).toContain('--force-conflicts');
    expect((await cp.admin.get(Pods, 'default', 'ssa')).metadata?.labels).toEqual({ app: 'web' });

    const forced = await kubectl('apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', other);
    expect(forced.err).toBe('');
    expect(forced.out.trim()).toBe('pod/ssa serverside-applied');
    expect((await cp.admin.get(Pods, 'default', 'ssa')).metadata?.labels).toEqual({ app: 'other' });

    const plain = yaml.load((await kubectl('get', 'pod', 'ssa', '-o', 'yaml')).out) as { metadata: { managedFields?: unknown } };
    expect(plain.metadata.managedFields).toBeUndefined();
    const shown = await kubectl('get', 'pod', 'ssa', '-o', 'yaml', '--show-managed-fields');
    expect(shown.err).toBe('');
    const obj = yaml.load(shown.out) as { metadata: { managedFields: ManagedFieldsEntry[] } };
    const byManager = Object.fromEntries(obj.metadata.managedFields.map((e) => [e.manager, e]));
    expect(Object.keys(byManager).sort()).toEqual(['kubectl', 'other']);
    expect(byManager.other).toMatchObject({ operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1' });
    expect(byManager.other!.fieldsV1).toMatchObject({ 'f:metadata': { 'f:labels': { 'f:app': {} } } });
    const kubectlFields = byManager.kubectl!.fieldsV1 as Record<string, Record<string, Record<string, Record<string, unknown>>>>;
    expect(kubectlFields['f:metadata']).toBeUndefined();
    expect(kubectlFields['f:spec']!['f:containers']!['k:{"name":"main"}']).toMatchObject({
      '.': {},
      'f:image': {},
      'f:ports': { 'k:{"containerPort":8080,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
    });

    const del = await kubectl('delete', 'pod', 'ssa');
    expect(del.out.trim()).toBe('pod "ssa" deleted');
  });

  it('takes over a client-side apply (kubectl apply, then --server-side): no conflict on fields still as last applied, a conflict on one changed since; the annotation follows', async () => {
    const cm = (x: string, b: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: upgrade\ndata:\n  x: "${x}"\n  b: "${b}"\n`;
    const file = join(dir, 'cm.yaml');
    writeFileSync(file, cm('1', '2'));
    expect((await kubectl('apply', '-f', file)).out.trim()).toBe('configmap/upgrade created');
    writeFileSync(file, cm('10', '2'));
    const upgraded = await kubectl('apply', '--server-side', '-f', file);
    expect(upgraded.err).toBe('');
    expect(upgraded.out.trim()).toBe('configmap/upgrade serverside-applied');
    const got = JSON.parse((await kubectl('get', 'configmap', 'upgrade', '-o', 'json')).out) as { data: Record<string, string>; metadata: { annotations: Record<string, string> } };
    expect(got.data).toEqual({ x: '10', b: '2' });
    // (the client-side apply's annotation now says what was applied, as Go's json.Encoder writes it: keys sorted, a newline)
    expect(got.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toBe('{"apiVersion":"v1","data":{"b":"2","x":"10"},"kind":"ConfigMap","metadata":{"name":"upgrade","namespace":"default"}}\n');
    // A field someone else changed since is still a conflict.
    writeFileSync(file, cm('1', '2'));
    await kubectl('apply', '-f', file);
    await kubectl('patch', 'configmap', 'upgrade', '-p', '{"data":{"b":"3"}}');
    writeFileSync(file, cm('1', '20'));
    const refused = await kubectl('apply', '--server-side', '-f', file);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain('Apply failed with 1 conflict: conflict with "kubectl-patch" using v1: .data.b');
    await kubectl('delete', 'configmap', 'upgrade');
  });

  it('applies port 53 over UDP and over TCP (the CoreDNS Service): ports are keyed by port and protocol, the selector is one field', async () => {
    const file = join(dir, 'dns.yaml');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Service
metadata:
  name: dns
spec:
  selector:
    k8s-app: kube-dns
  ports:
  - name: dns-udp
    port: 53
    protocol: UDP
  - name: dns-tcp
    port: 53
    protocol: TCP
`,
    );
    const applied = await kubectl('apply', '--server-side', '-f', file);
    expect(applied.err).toBe('');
    expect(applied.out.trim()).toBe('service/dns serverside-applied');
    expect((await cp.admin.get<Service>(Services, 'default', 'dns')).spec?.ports?.map((p) => `${p.name} ${p.port}/${p.protocol}`)).toEqual(['dns-udp 53/UDP', 'dns-tcp 53/TCP']);
    const fields = async (kind: string, name: string, manager: string) => {
      const shown = yaml.load((await kubectl('get', kind, name, '-o', 'yaml', '--show-managed-fields')).out) as { metadata: { managedFields: ManagedFieldsEntry[] } };
      return (shown.metadata.managedFields.find((e) => e.manager === manager)?.fieldsV1 ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
    };
    const spec = (await fields('service', 'dns', 'kubectl'))['f:spec']!;
    expect(spec['f:ports']).toEqual({
      'k:{"port":53,"protocol":"TCP"}': { '.': {}, 'f:name': {}, 'f:port': {}, 'f:protocol': {} },
      'k:{"port":53,"protocol":"UDP"}': { '.': {}, 'f:name': {}, 'f:port': {}, 'f:protocol': {} },
    });
    // (+mapType=atomic: the selector is owned as one value, not label by label)
    expect(spec['f:selector']).toEqual({});

    // A client-side apply records the same keys, a port without a protocol under TCP.
    const web = join(dir, 'web-svc.yaml');
    writeFileSync(web, 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n  - port: 80\n');
    expect((await kubectl('apply', '-f', web)).out.trim()).toBe('service/web created');
    expect((await fields('service', 'web', 'kubectl-client-side-apply'))['f:spec']!['f:ports']).toMatchObject({ 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {}, 'f:protocol': {} } });
    await kubectl('delete', 'service', 'dns', 'web');
  });

  it('changes a Deployment from RollingUpdate to Recreate with kubectl apply: $retainKeys drops the rollingUpdate', async () => {
    const deployment = (strategy: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: strategy
spec:
  replicas: 0
  selector:
    matchLabels:
      app: strategy
  strategy:
${strategy}
  template:
    metadata:
      labels:
        app: strategy
    spec:
      containers:
      - name: main
        image: busybox:1.36
`;
    const file = join(dir, 'deploy.yaml');
    // (the rollingUpdate is the server's default: not in the last-applied configuration, so only
    // $retainKeys, not a null in kubectl's three-way patch, can take it away)
    writeFileSync(file, deployment('    type: RollingUpdate'));
    expect((await kubectl('apply', '-f', file)).out.trim()).toBe('deployment.apps/strategy created');
    expect((await cp.admin.get<Deployment>(Deployments, 'default', 'strategy')).spec?.strategy?.rollingUpdate).toEqual({ maxSurge: '25%', maxUnavailable: '25%' });
    writeFileSync(file, deployment('    type: Recreate'));
    const changed = await kubectl('apply', '-f', file);
    expect(changed.err).toBe('');
    expect(changed.out.trim()).toBe('deployment.apps/strategy configured');
    expect((await cp.admin.get<Deployment>(Deployments, 'default', 'strategy')).spec?.strategy).toEqual({ type: 'Recreate' });
    // (+structType=atomic: the label selector is one field of the create's manager)
    const shown = yaml.load((await kubectl('get', 'deployment', 'strategy', '-o', 'yaml', '--show-managed-fields')).out) as { metadata: { managedFields: ManagedFieldsEntry[] } };
    const created = shown.metadata.managedFields.find((e) => e.manager === 'kubectl-client-side-apply')!.fieldsV1 as Record<string, Record<string, unknown>>;
    expect(created['f:spec']!['f:selector']).toEqual({});
    await kubectl('delete', 'deployment', 'strategy');
  });
});
