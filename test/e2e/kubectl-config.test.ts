// The stock kubectl with ConfigMaps and Secrets: create from literals, get (tables, jsonpath),
// describe (secret values never shown), client-side and server-side apply of a manifest with
// stringData, docker-registry secrets, delete.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigMap, Secret } from '../../pkg/api/types.js';
import { core } from '../../pkg/client/rest-client.js';
import { startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt } from '../helpers/kubectl.js';

const ConfigMaps = core('configmaps');
const Secrets = core('secrets');
const b64 = (s: string) => Buffer.from(s).toString('base64');

let cp: TestControlPlane;
let dir: string;

const kubectl = (...args: string[]) => kubectlAt(cp.kubeconfig, join(dir, 'cache'), args);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-kubectl-config-'));
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasKubectl)('kubectl with configmaps and secrets', () => {
  it('creates both from literals, lists them, and reads a secret value as base64', async () => {
    const cm = await kubectl('create', 'configmap', 'x', '--from-literal=a=b', '--from-literal=c=d');
    expect(cm).toMatchObject({ code: 0, out: 'configmap/x created\n' });
    const s = await kubectl('create', 'secret', 'generic', 's', '--from-literal=p=q');
    expect(s).toMatchObject({ code: 0, out: 'secret/s created\n' });
    const got = await kubectl('get', 'cm,secrets');
    expect(got.err).toBe('');
    // (kube-root-ca.crt is in every namespace, as in Kubernetes)
    expect(got.out).toMatch(/^NAME\s+DATA\s+AGE\nconfigmap\/kube-root-ca.crt\s+1\s+\d+s\nconfigmap\/x\s+2\s+\d+s\n\nNAME\s+TYPE\s+DATA\s+AGE\nsecret\/s\s+Opaque\s+1\s+\d+s\n$/);
    const p = await kubectl('get', 'secret', 's', '-o', 'jsonpath={.data.p}');
    expect(p).toMatchObject({ code: 0, out: b64('q') });
    const short = await kubectl('get', 'cm', 'x', '-o', 'jsonpath={.data.a}');
    expect(short.out).toBe('b');
  });

  it('kubectl create namespace (a protobuf body too): created, then AlreadyExists', async () => {
    expect(await kubectl('create', 'namespace', 'made-by-kubectl')).toMatchObject({ code: 0, out: 'namespace/made-by-kubectl created\n' });
    expect((await kubectl('get', 'ns', 'made-by-kubectl', '-o', 'jsonpath={.status.phase}')).out).toBe('Active');
    const again = await kubectl('create', 'namespace', 'made-by-kubectl');
    expect(again.code).toBe(1);
    expect(again.err).toContain('namespaces "made-by-kubectl" already exists');
  });

  it('describes a secret by key sizes only, and a configmap with its values', async () => {
    const s = await kubectl('describe', 'secret', 's');
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/^Name:\s+s\nNamespace:\s+default\n/);
    expect(s.out).toMatch(/Type:\s+Opaque/);
    expect(s.out).toMatch(/Data\n====\np:\s+1 bytes\n/);
    expect(s.out).not.toContain('cQ==');
    const cm = await kubectl('describe', 'configmap', 'x');
    // (kubectl prints the keys in Go's map order, which varies from run to run)
    const data = cm.out.slice(cm.out.indexOf('Data\n====\n'));
    expect(data).toMatch(/\na:\n----\nb\n/);
    expect(data).toMatch(/\nc:\n----\nd\n/);
  });

  it('applies a Secret manifest with stringData: created, re-applied without a write, changed; stringData is not stored', async () => {
    const file = join(dir, 'secret.yaml');
    const manifest = (pass: string) => `apiVersion: v1
kind: Secret
metadata:
  name: db
type: kubernetes.io/basic-auth
stringData:
  username: admin
  password: ${pass}
`;
    writeFileSync(file, manifest('one'));
    expect(await kubectl('apply', '-f', file)).toMatchObject({ code: 0, out: 'secret/db created\n' });
    const first = await cp.admin.get<Secret>(Secrets, 'default', 'db');
    // kubectl always re-sends stringData (the live object never has it) and so says "configured",
    // as it does against Kubernetes; the server sees no change and writes nothing.
    expect(await kubectl('apply', '-f', file)).toMatchObject({ code: 0, out: 'secret/db configured\n' });
    expect((await cp.admin.get<Secret>(Secrets, 'default', 'db')).metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    writeFileSync(file, manifest('two'));
    expect(await kubectl('apply', '-f', file)).toMatchObject({ code: 0, out: 'secret/db configured\n' });
    const db = await cp.admin.get<Secret>(Secrets, 'default', 'db');
    expect(db).toMatchObject({ type: 'kubernetes.io/basic-auth', data: { username: b64('admin'), password: b64('two') } });
    expect(db).not.toHaveProperty('stringData');
  });

  it('server-side applies a ConfigMap: per-key ownership, a conflict with another manager', async () => {
    const file = join(dir, 'cm.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  mine: "1"\n');
    expect(await kubectl('apply', '--server-side', '-f', file)).toMatchObject({ code: 0, out: 'configmap/ssa serverside-applied\n' });
    const other = join(dir, 'cm-other.yaml');
    writeFileSync(other, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  theirs: "2"\n');
    expect((await kubectl('apply', '--server-side', '--field-manager', 'other', '-f', other)).code).toBe(0);
    const cm = await cp.admin.get<ConfigMap>(ConfigMaps, 'default', 'ssa');
    expect(cm.data).toEqual({ mine: '1', theirs: '2' });
    writeFileSync(other, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  theirs: "2"\n  mine: "3"\n');
    const clash = await kubectl('apply', '--server-side', '--field-manager', 'other', '-f', other);
    expect(clash.code).not.toBe(0);
    expect(clash.err).toContain('.data.mine');
    // A Secret with stringData applies server-side, twice; its values land in data.
    const secret = join(dir, 'secret-ssa.yaml');
    writeFileSync(secret, 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: ssa\nstringData:\n  token: abc\n');
    expect(await kubectl('apply', '--server-side', '-f', secret)).toMatchObject({ code: 0, out: 'secret/ssa serverside-applied\n' });
    expect(await kubectl('apply', '--server-side', '-f', secret)).toMatchObject({ code: 0, out: 'secret/ssa serverside-applied\n' });
    const s = await cp.admin.get<Secret>(Secrets, 'default', 'ssa');
    expect(s).toMatchObject({ type: 'Opaque', data: { token: b64('abc') } });
    expect(s).not.toHaveProperty('stringData');
  });

  it('creates a docker-registry secret, refuses a type change, and deletes', async () => {
    const reg = await kubectl('create', 'secret', 'docker-registry', 'reg', '--docker-server=registry.example', '--docker-username=u', '--docker-password=p');
    expect(reg).toMatchObject({ code: 0, out: 'secret/reg created\n' });
    const typed = await kubectl('get', 'secrets', '--field-selector', 'type=kubernetes.io/dockerconfigjson', '-o', 'name');
    expect(typed.out).toBe('secret/reg\n');
    const patch = await kubectl('patch', 'secret', 'reg', '--type=merge', '-p', '{"type":"Opaque"}');
    expect(patch.code).not.toBe(0);
    expect(patch.err).toContain('type: Invalid value: "Opaque": field is immutable');
    expect(await kubectl('delete', 'secret', 'reg', 's', 'db', 'ssa')).toMatchObject({ code: 0 });
    expect(await kubectl('delete', 'cm', 'x', 'ssa')).toMatchObject({ code: 0 });
    const left = await kubectl('get', 'secrets,cm', '-o', 'name');
    expect(left.out).toBe('configmap/kube-root-ca.crt\n');
  });
});
