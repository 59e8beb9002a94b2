// tsctl apply as kubectl 1.32's client-side apply behaves against a real control plane: the
// last-applied configuration written as kubectl writes it, "unchanged" with no patch sent when
// the object already has what the manifest says (whoever applied it last), "configured" for a
// value the server stores in another form, and kubectl's warning for an object created without
// the annotation.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { core, Namespaces } from '../../pkg/client/rest-client.js';
import { runTsctl } from '../helpers/tsctl.js';
import { startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
let dir: string;

const tsctl = (...args: string[]) => runTsctl(cp.kubeconfig, args);
const ConfigMaps = core('configmaps');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-tsctl-apply-'));
  cp = await startControlPlane();
  await cp.admin.create(Namespaces, undefined, { metadata: { name: 'tsa' } });
});
afterAll(async () => {
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('tsctl apply', () => {
  it('writes kubectl\'s last-applied configuration and leaves an object that has it all unchanged, with no patch', async () => {
    const file = join(dir, 'cm.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm1\n  labels: {zeta: "1", alpha: "2"}\ndata:\n  b: "1"\n  a: "2"\n');
    expect((await tsctl('apply', '-n', 'tsa', '-f', file)).out).toBe('configmap/cm1 created\n');
    const created = await cp.admin.get(ConfigMaps, 'tsa', 'cm1');
    expect(created.metadata?.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBe('{"apiVersion":"v1","data":{"a":"2","b":"1"},"kind":"ConfigMap","metadata":{"annotations":{},"labels":{"alpha":"2","zeta":"1"},"name":"cm1","namespace":"tsa"}}\n');
    expect((await tsctl('apply', '-n', 'tsa', '-f', file)).out).toBe('configmap/cm1 unchanged\n');
    expect((await cp.admin.get(ConfigMaps, 'tsa', 'cm1')).metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm1\n  labels: {zeta: "1"}\ndata:\n  b: "1"\n  a: "2"\n');
    expect((await tsctl('apply', '-n', 'tsa', '-f', file)).out).toBe('configmap/cm1 configured\n');
    expect((await cp.admin.get(ConfigMaps, 'tsa', 'cm1')).metadata?.labels).toEqual({ zeta: '1' });
  });

  it('says configured for a quantity the server stores in another form, as kubectl does every time', async () => {
    const file = join(dir, 'quota.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: tsa}\nspec: {hard: {cpu: "0.5"}}\n');
    expect((await tsctl('apply', '-f', file)).out).toBe('resourcequota/q created\n');
    expect((await tsctl('apply', '-f', file)).out).toBe('resourcequota/q configured\n');
  });

  it('warns as kubectl does of an object created without the annotation, then patches it', async () => {
    await cp.admin.create(ConfigMaps, 'tsa', { metadata: { name: 'plain' }, data: { a: '1' } });
    const file = join(dir, 'plain.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain, namespace: tsa}\ndata: {a: "1"}\n');
    const r = await tsctl('apply', '-f', file);
    expect(r.out).toBe('configmap/plain configured\n');
    expect(r.err).toBe('Warning: resource configmaps/plain is missing the kubectl.kubernetes.io/last-applied-configuration annotation which is required by kubectl apply. kubectl apply should only be used on resources created declaratively by either kubectl create --save-config or kubectl apply. The missing annotation will be patched automatically.\n');
    expect(await tsctl('apply', '-f', file)).toMatchObject({ out: 'configmap/plain unchanged\n', err: '' });
  });

  it('says errors as kubectl apply does: the file quoted after what failed, a lone Invalid error by its object and causes', async () => {
    const file = join(dir, 'multi.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: e1, namespace: tsa, labels: {a: "-bad-"}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: e2, namespace: nope-ns}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok1, namespace: tsa}\n');
    const multi = await tsctl('apply', '-f', file);
    expect(multi.code).toBe(1);
    expect(multi.out).toBe('configmap/ok1 created\n');
    expect(multi.err).toMatch(new RegExp(`^Error from server \\(Invalid\\): error when creating "${file}": ConfigMap "e1" is invalid: metadata\\.labels: Invalid value: "-bad-": .*\\nError from server \\(NotFound\\): error when creating "${file}": namespaces "nope-ns" not found\\n$`));
    const one = join(dir, 'one.yaml');
    writeFileSync(one, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok1, namespace: tsa, labels: {a: "-bad-", "b/c/d": x}}\n');
    const invalid = await tsctl('apply', '-f', one);
    expect(invalid.err).toMatch(/^The ConfigMap "ok1" is invalid: \n\* metadata\.labels: Invalid value: "-bad-": .*\n\* metadata\.labels: Invalid value: "b\/c\/d": .*\n$/);
    // (a patch that leaves a value of the wrong type: applyPatchToObject's Invalid with no kind or
    // name, which kubectl prints as 'The request is invalid' and its cause, without the framing)
    writeFileSync(one, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok1, namespace: tsa}\ndata: {x: 2}\n');
    const patched = await tsctl('apply', '-f', one);
    expect(patched.err).toMatch(/^The request is invalid: patch: Invalid value: "map\[[\s\S]*\]": cannot convert int64 to string\n$/);
    expect(patched.code).toBe(1);
    writeFileSync(one, 'apiVersion: v1\nkind: Foo\nmetadata: {name: x}\n');
    expect((await tsctl('apply', '-f', one)).err).toBe(`error: resource mapping not found for name: "x" namespace: "" from "${one}": no matches for kind "Foo" in version "v1"\nensure CRDs are installed first\n`);
  });

  it('refuses an object of another namespace than the one -n gives, as kubectl\'s builder does', async () => {
    const file = join(dir, 'nsm.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: nsm, namespace: tsa}\n');
    expect(await tsctl('apply', '-n', 'default', '-f', file)).toMatchObject({ code: 1, out: '', err: 'error: the namespace from the provided object "tsa" does not match the namespace "default". You must pass \'--namespace=tsa\' to perform this operation.\n' });
    expect((await tsctl('apply', '-n', 'tsa', '-f', file)).out).toBe('configmap/nsm created\n');
  });

  it('applies a manifest of a version other than its group\'s preferred one, as kubectl\'s RESTMapper knows them all', async () => {
    const file = join(dir, 'hpa.yaml');
    writeFileSync(file, 'apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: h, namespace: tsa}\nspec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: d}, maxReplicas: 2}\n');
    expect(await tsctl('apply', '-f', file)).toMatchObject({ code: 0, out: 'horizontalpodautoscaler.autoscaling/h created\n', err: '' });
    expect((await tsctl('apply', '-f', file)).out).toBe('horizontalpodautoscaler.autoscaling/h unchanged\n');
  });
});
