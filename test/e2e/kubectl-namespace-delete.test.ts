// Deleting namespaces with the stock kubectl: each namespace is finalized on its own, so the
// collection has no DELETE (Kubernetes answers 405), and api-resources does not offer it.
import { describe, expect, it } from 'vitest';
import { hasKubectl, kubectlControlPlane } from '../helpers/kubectl.js';

const k = kubectlControlPlane();
const kubectl = k.kubectl;

describe.skipIf(!hasKubectl)('namespace deletion', () => {
  it('DELETE of the namespace collection is 405 and deletes nothing (it deleted default and kube-system outright, content and all)', async () => {
    await kubectl('create', 'namespace', 'keep-me');
    await kubectl('-n', 'keep-me', 'create', 'configmap', 'c', '--from-literal=a=b');
    for (const raw of ['/api/v1/namespaces', '/api/v1/namespaces?dryRun=All']) {
      const r = await k.run(['delete', '--raw', raw]);
      expect(r.code).toBe(1);
      expect(r.err).toContain('Error from server (MethodNotAllowed): the server does not allow this method on the requested resource');
    }
    const names = (await kubectl('get', 'ns', '-o', 'name')).split('\n').filter(Boolean);
    expect(names).toEqual(expect.arrayContaining(['namespace/default', 'namespace/kube-system', 'namespace/keep-me']));
    expect(await kubectl('-n', 'keep-me', 'get', 'cm', 'c', '-o', 'name')).toBe('configmap/c\n');
  });

  it('kubectl api-resources -o wide lists no deletecollection for namespaces (and does for configmaps)', async () => {
    const rows = (await kubectl('api-resources', '-o', 'wide', '--api-group=')).split('\n');
    const verbs = (name: string) => rows.find((l) => l.startsWith(`${name} `))?.trim().split(/\s+/)[5];
    expect(verbs('namespaces')).toBe('create,delete,get,list,patch,update,watch');
    expect(verbs('configmaps')).toBe('create,delete,deletecollection,get,list,patch,update,watch');
  });

  it('kubectl delete ns --all still deletes them one by one, protected ones refused', async () => {
    await kubectl('create', 'namespace', 'gone-soon');
    const r = await k.run(['delete', 'ns', '--all', '--wait=false']);
    expect(r.out).toContain('namespace "gone-soon" deleted');
    expect(r.err).toContain('namespaces "default" is forbidden: this namespace may not be deleted');
    expect(await kubectl('get', 'ns', 'default', '-o', 'jsonpath={.status.phase}')).toBe('Active');
  });

  it('creating in a Terminating namespace is refused naming what was created, as the NamespaceLifecycle plugin does', async () => {
    await kubectl('create', 'namespace', 'closing');
    await kubectl('-n', 'closing', 'create', 'configmap', 'held', '--from-literal=a=b');
    await kubectl('-n', 'closing', 'patch', 'configmap', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}');
    await kubectl('delete', 'namespace', 'closing', '--wait=false');
    expect(await kubectl('get', 'ns', 'closing', '--no-headers')).toMatch(/^closing\s+Terminating\s/);
    const r = await k.run(['-n', 'closing', 'create', 'configmap', 'x', '--from-literal=a=b']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('error: failed to create configmap: configmaps "x" is forbidden: unable to create new content in namespace closing because it is being terminated\n');
    const pod = await k.run(['-n', 'closing', 'run', 'p', '--image=busybox']);
    expect(pod.err).toContain('pods "p" is forbidden: unable to create new content in namespace closing because it is being terminated');
    await kubectl('-n', 'closing', 'patch', 'configmap', 'held', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]');
    await kubectl('wait', '--for=delete', 'namespace/closing', '--timeout=30s');
  });

  it('creating a namespace again while it is still Terminating says the old one is being deleted, as Store.Create does', async () => {
    await kubectl('create', 'namespace', 'again');
    await kubectl('-n', 'again', 'create', 'configmap', 'held', '--from-literal=a=b');
    await kubectl('-n', 'again', 'patch', 'configmap', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}');
    await kubectl('delete', 'namespace', 'again', '--wait=false');
    for (const dry of [[], ['--dry-run=server']]) {
      const r = await k.run(['create', 'namespace', 'again', ...dry]);
      expect(r.code).toBe(1);
      expect(r.err).toBe('Error from server (AlreadyExists): object is being deleted: namespaces "again" already exists\n');
    }
    // (an object held by its own finalizer alike; one not being deleted keeps the plain message)
    await kubectl('-n', 'default', 'create', 'configmap', 'cm-again', '--from-literal=a=b');
    expect((await k.run(['-n', 'default', 'create', 'configmap', 'cm-again'])).err).toBe('error: failed to create configmap: configmaps "cm-again" already exists\n');
    await kubectl('-n', 'default', 'patch', 'configmap', 'cm-again', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}');
    await kubectl('-n', 'default', 'delete', 'configmap', 'cm-again', '--wait=false');
    expect((await k.run(['-n', 'default', 'create', 'configmap', 'cm-again'])).err).toBe('error: failed to create configmap: object is being deleted: configmaps "cm-again" already exists\n');
    await kubectl('-n', 'default', 'patch', 'configmap', 'cm-again', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]');
    await kubectl('-n', 'again', 'patch', 'configmap', 'held', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]');
    await kubectl('wait', '--for=delete', 'namespace/again', '--timeout=30s');
  });
});

describe.skipIf(!hasKubectl)('a namespace another finalizer holds', () => {
  it('says its content is gone once it is, as the namespace controller writes the conditions of its last pass', async () => {
    await k.kubectlIn(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'held-ns' }, spec: { finalizers: ['example.com/ns-hold'] } }), 'create', '-f', '-');
    await kubectl('-n', 'held-ns', 'create', 'configmap', 'held', '--from-literal=a=b');
    await kubectl('-n', 'held-ns', 'patch', 'configmap', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}');
    await kubectl('delete', 'namespace', 'held-ns', '--wait=false');
    const condition = (type: string) => `jsonpath={.status.conditions[?(@.type=="${type}")].status} {.status.conditions[?(@.type=="${type}")].reason} {.status.conditions[?(@.type=="${type}")].message}`;
    await kubectl('wait', 'namespace/held-ns', '--for=jsonpath={.status.conditions[?(@.type=="NamespaceContentRemaining")].status}=True', '--timeout=30s');
    await kubectl('-n', 'held-ns', 'patch', 'configmap', 'held', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]');
    // (the kubernetes finalizer goes once the content has; example.com/ns-hold stays)
    for (let i = 0; (await kubectl('get', 'namespace', 'held-ns', '-o', 'jsonpath={.spec.finalizers}')) !== '["example.com/ns-hold"]'; i++) {
      if (i === 300) throw new Error('the kubernetes finalizer stayed');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await kubectl('get', 'namespace', 'held-ns', '-o', condition('NamespaceContentRemaining'))).toBe('False ContentRemoved All content successfully removed');
    expect(await kubectl('get', 'namespace', 'held-ns', '-o', condition('NamespaceFinalizersRemaining'))).toBe('False ContentHasNoFinalizers All content-preserving finalizers finished');
    expect(await kubectl('get', 'namespace', 'held-ns', '-o', 'jsonpath={.status.phase}')).toBe('Terminating');
    await k.kubectlIn(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'held-ns' }, spec: { finalizers: [] } }), 'replace', '--raw', '/api/v1/namespaces/held-ns/finalize', '-f', '-');
    await kubectl('wait', '--for=delete', 'namespace/held-ns', '--timeout=30s');
  });
});

describe.skipIf(!hasKubectl)('the kubernetes.io/metadata.name label', () => {
  it('stays the namespace name whatever an update does to it, as SetDefaults_Namespace sets it on every decode', async () => {
    await kubectl('create', 'namespace', 'named');
    expect(await kubectl('label', 'namespace', 'named', 'kubernetes.io/metadata.name-')).toBe('namespace/named unlabeled\n');
    await kubectl('label', 'namespace', 'named', '--overwrite', 'kubernetes.io/metadata.name=other', 'team=a');
    const ns = JSON.parse(await kubectl('get', 'namespace', 'named', '-o', 'json'));
    expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'named', team: 'a' });
    expect(await kubectl('get', 'namespace', '-l', 'kubernetes.io/metadata.name=named', '-o', 'name')).toBe('namespace/named\n');
  });
});
