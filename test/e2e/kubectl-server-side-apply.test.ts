// The stock kubectl's server-side apply against our apiserver: create, a conflicting apply by a
// second field manager (refused, naming the field), the same with --force-conflicts, and the
// managedFields entries shown by `get -o yaml --show-managed-fields`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yaml from 'js-yaml';
import type { ManagedFieldsEntry } from '../../pkg/api/types.js';
import { Pods } from '../../pkg/client/rest-client.js';
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
});
