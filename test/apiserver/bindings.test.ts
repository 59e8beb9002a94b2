// The core/v1 `bindings` resource against apiserver+etcd and the stock kubectl: a Binding
// POSTed to /api/v1/namespaces/{ns}/bindings binds the pod it names (spec.nodeName and
// PodScheduled), as pods/{name}/binding does; a bound pod is not bound again (409); errors
// for a nameless or malformed Binding; create is the only verb; who may bind.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../pkg/api/types.js';
import { tokenFor } from '../../pkg/apiserver/pki.js';
import { Pods } from '../../pkg/client/rest-client.js';
import { failure } from '../helpers/control-plane.js';
import { hasKubectl, kubectlControlPlane } from '../helpers/kubectl.js';

const k = kubectlControlPlane();
const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
const binding = (name: string, node = 'node-1') => ({ apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: node } });

describe.skipIf(!hasKubectl)('core/v1 bindings', () => {
  it('binds the pod a Binding names, once', async () => {
    const cp = k.cp;
    await cp.admin.create(Pods, 'default', pod('b1'));
    const ok = await cp.admin.request<{ kind: string; status: string; code: number }>('/api/v1/namespaces/default/bindings', { method: 'POST', body: binding('b1') });
    expect(ok).toMatchObject({ kind: 'Status', status: 'Success', code: 201 });
    const bound = (await cp.admin.get(Pods, 'default', 'b1')) as Pod;
    expect(bound.spec?.nodeName).toBe('node-1');
    expect(bound.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    const again = await failure(cp.admin.request('/api/v1/namespaces/default/bindings', { method: 'POST', body: binding('b1', 'node-2') }));
    expect(again.code).toBe(409);
    expect(again.message).toContain('pod b1 is already assigned to node "node-1"');
    const missing = await failure(cp.admin.request('/api/v1/namespaces/default/bindings', { method: 'POST', body: binding('nope') }));
    expect(missing.code).toBe(404);
  });

  it('refuses a nameless or malformed Binding, other verbs, and callers without the right', async () => {
    const cp = k.cp;
    await cp.admin.create(Pods, 'default', pod('b2'));
    const nameless = await failure(cp.admin.request('/api/v1/namespaces/default/bindings', { method: 'POST', body: { apiVersion: 'v1', kind: 'Binding', target: { name: 'node-1' } } }));
    expect(nameless.code).toBe(422);
    expect(nameless.message).toContain('metadata.name: Required value');
    const noTarget = await failure(cp.admin.request('/api/v1/namespaces/default/bindings', { method: 'POST', body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'b2' } } }));
    expect(noTarget.code).toBe(422);
    expect(noTarget.message).toContain('target.name: Required value');
    const numeric = await failure(cp.admin.request('/api/v1/namespaces/default/bindings', { method: 'POST', body: { ...binding('b2'), target: { name: 5 } } }));
    expect(numeric.code).toBe(400); // a decoding error, as Kubernetes answers a number for a string
    expect(numeric.message).toBe('Binding in version "v1" cannot be handled as a Binding: json: cannot unmarshal number into Go struct field ObjectReference.target.name of type string');
    const badNode = await failure(cp.admin.request('/api/v1/namespaces/default/pods/b2/binding', { method: 'POST', body: binding('b2', 'Not_A_Node') }));
    expect(badNode.code).toBe(422);
    expect(badNode.message).toContain('target.name: Invalid value: "Not_A_Node"');
    // (BindingREST.Create: the Binding must name the pod of the URL, a nameless one too)
    for (const body of [binding('b3'), { apiVersion: 'v1', kind: 'Binding', target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' } }]) {
      const otherName = await failure(cp.admin.request('/api/v1/namespaces/default/pods/b2/binding', { method: 'POST', body }));
      expect(otherName.code).toBe(400);
      expect(otherName.message).toBe('name in URL does not match name in Binding object');
    }
    const toPod = await failure(cp.admin.request('/api/v1/namespaces/default/bindings', { method: 'POST', body: { ...binding('b2'), target: { kind: 'Pod', name: 'x' } } }));
    expect(toPod.message).toContain('target.kind: Unsupported value: "Pod"');
    const wrongKind = await failure(cp.admin.request('/api/v1/namespaces/default/bindings', { method: 'POST', body: { ...binding('b2'), kind: 'Pod' } }));
    expect(wrongKind.code).toBe(400);
    expect((await failure(cp.admin.request('/api/v1/namespaces/default/bindings'))).code).toBe(405);
    const node = await failure(cp.nodeClient('node-1').request('/api/v1/namespaces/default/bindings', { method: 'POST', body: binding('b2') }));
    expect(node.code).toBe(403);
    expect(((await cp.admin.get(Pods, 'default', 'b2')) as Pod).spec?.nodeName).toBeUndefined();
    // the scheduler may bind this way too
    const scheduler = cp.clientWithToken(tokenFor(join(cp.dataDir, 'tokens.csv'), 'system:kube-scheduler'));
    await scheduler.request('/api/v1/namespaces/default/bindings', { method: 'POST', body: binding('b2') });
    expect(((await cp.admin.get(Pods, 'default', 'b2')) as Pod).spec?.nodeName).toBe('node-1');
  });

  it('works with kubectl: discovery and create -f', async () => {
    const resources = await k.kubectl('api-resources', '--api-group=', '--no-headers');
    expect(resources.split('\n').find((l) => l.startsWith('bindings '))?.trim().split(/\s+/)).toEqual(['bindings', 'v1', 'true', 'Binding']);
    await k.cp.admin.create(Pods, 'default', pod('b3'));
    // (the answer is a success Status, as Kubernetes' BindingREST returns, which kubectl prints so)
    expect((await k.kubectlIn(JSON.stringify(binding('b3', 'node-3')), 'create', '-f', '-')).trim()).toBe('status/<unknown> created');
    expect((await k.kubectl('get', 'pod', 'b3', '-o', 'jsonpath={.spec.nodeName}')).trim()).toBe('node-3');
  });
});
