import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResourceRef } from '../client/api-client.js';
import { StatusError } from '../client/rest-client.js';
import { clusterInfoKubeconfig, ensureBootstrapTokenSetup } from './bootstrap-token-setup.js';

const dir = mkdtempSync(join(tmpdir(), 'tskube-bootstrap-setup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const admin = ['apiVersion: v1', 'kind: Config', 'clusters:', '- name: tskube', '  cluster:', '    server: https://10.0.0.7:6443', '    certificate-authority-data: Q0E=', 'users:', '- name: admin', '  user:', '    token: secret', 'contexts:', '- name: admin@tskube', '  context:', '    cluster: tskube', '    user: admin', 'current-context: admin@tskube', ''].join('\n');

/** A cluster where everything exists already: creates are 409, gets answer from `objects`. */
function existing(objects: Record<string, Record<string, unknown>>) {
  const updates: { resource: string; name: string; obj: Record<string, unknown> }[] = [];
  return {
    updates,
    client: {
      create: async () => Promise.reject(new StatusError(409, undefined, 'exists')),
      get: async <T>(ref: ResourceRef, _ns: string | undefined, name: string) => structuredClone(objects[`${ref.resource}/${name}`] ?? {}) as T,
      update: async <T>(ref: ResourceRef, _ns: string | undefined, name: string, obj: unknown) => (updates.push({ resource: ref.resource, name, obj: obj as Record<string, unknown> }), obj as T),
    },
  };
}

describe("up's bootstrap-token phase on a cluster that has it", () => {
  it('writes a changed cluster-info kubeconfig without the old signatures, and nothing that is right', async () => {
    const path = join(dir, 'admin.kubeconfig');
    writeFileSync(path, admin);
    // (the get-nodes role and binding as the phase makes them: left alone; cluster-info of another server: rewritten)
    const cm = { metadata: { name: 'cluster-info', namespace: 'kube-public', resourceVersion: '5' }, data: { kubeconfig: clusterInfoKubeconfig(admin.replace('10.0.0.7', '10.0.0.8')), 'jws-kubeconfig-abcdef': 'eyJ..sig' } };
    const rbac = {
      'clusterroles/kubeadm:get-nodes': { rules: [{ verbs: ['get'], apiGroups: [''], resources: ['nodes'] }] },
      'clusterrolebindings/kubeadm:get-nodes': { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubeadm:get-nodes' }, subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:bootstrappers:kubeadm:default-node-token' }] },
    };
    const c = existing({ 'configmaps/cluster-info': cm, ...rbac });
    await ensureBootstrapTokenSetup(c.client, path);
    const cmUpdate = c.updates.find((u) => u.resource === 'configmaps');
    expect(cmUpdate?.obj.data).toEqual({ kubeconfig: clusterInfoKubeconfig(admin) });
    expect(cmUpdate?.obj.metadata).toMatchObject({ resourceVersion: '5' });
    expect(c.updates.some((u) => u.name === 'kubeadm:get-nodes')).toBe(false);
    // (a binding found otherwise is put back)
    expect(c.updates.some((u) => u.resource === 'clusterrolebindings' && u.name === 'kubeadm:kubelet-bootstrap')).toBe(true);
  });
});
