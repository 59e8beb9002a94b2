// tsctl with ConfigMaps and Secrets: apply of both (stringData merged), get by short name and
// plural, describe (a configmap's values; a secret's key sizes, never its values).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTsctl } from '../helpers/tsctl.js';
import { startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
let dir: string;

const tsctl = (...args: string[]) => runTsctl(cp.kubeconfig, args);

const manifests = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  app.conf: |
    port=8080
  mode: fast
binaryData:
  logo.png: iVBORw0KGgo=
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
type: kubernetes.io/basic-auth
stringData:
  username: admin
  password: s3cr3t-value
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-tsctl-config-'));
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('tsctl with configmaps and secrets', () => {
  it('applies both, then gets them by short name and plural', async () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, manifests);
    expect(await tsctl('apply', '-f', file)).toMatchObject({ code: 0, out: 'configmap/settings created\nsecret/creds created\n' });
    const cms = await tsctl('get', 'cm');
    expect(cms.code).toBe(0);
    // (kube-root-ca.crt is in every namespace, as in Kubernetes)
    expect(cms.out).toMatch(/^NAME\s+DATA\s+AGE\nkube-root-ca.crt\s+1\s+\d+s\nsettings\s+3\s+\d+s\n$/);
    const secrets = await tsctl('get', 'secrets');
    expect(secrets.out).toMatch(/^NAME\s+TYPE\s+DATA\s+AGE\ncreds\s+kubernetes\.io\/basic-auth\s+2\s+\d+s\n$/);
    const yaml = await tsctl('get', 'secret', 'creds', '-o', 'yaml');
    expect(yaml.out).toContain(`password: ${Buffer.from('s3cr3t-value').toString('base64')}`);
    // (kubectl's last-applied annotation keeps the manifest, stringData included, as kubectl does.)
    expect(yaml.out).not.toMatch(/^stringData:/m);
  });

  it('describes a configmap with its values and binary sizes', async () => {
    const d = await tsctl('describe', 'configmap', 'settings');
    expect(d.code).toBe(0);
    expect(d.out).toMatch(/^Name:\s+settings\nNamespace:\s+default\n/);
    expect(d.out).toContain('Data\n====\napp.conf:\n----\nport=8080\n\n\nmode:\n----\nfast\n');
    expect(d.out).toContain('BinaryData\n====\nlogo.png: 8 bytes\n');
  });

  it('describes a secret by its type and key sizes, never its values', async () => {
    const d = await tsctl('describe', 'secrets', 'creds');
    expect(d.code).toBe(0);
    expect(d.out).toContain('Type:  kubernetes.io/basic-auth');
    expect(d.out).toMatch(/Data\n====\npassword:\s+12 bytes\nusername:\s+5 bytes\n/);
    expect(d.out).not.toContain('s3cr3t');
    expect(d.out).not.toContain(Buffer.from('s3cr3t-value').toString('base64'));
  });

  it('re-applies unchanged and reports a bad key with its field', async () => {
    const file = join(dir, 'config.yaml');
    const again = await tsctl('apply', '-f', file);
    expect(again.code).toBe(0);
    expect(again.out).toContain('configmap/settings unchanged');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  "no spaces": x\n');
    const r = await tsctl('apply', '-f', bad);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('data[no spaces]: Invalid value: "no spaces"');
  });
});
