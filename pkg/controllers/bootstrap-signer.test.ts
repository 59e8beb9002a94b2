import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.js';
import { computeDetachedSignature } from '../api/jws.js';
import { BootstrapSigner, signingToken } from './bootstrap-signer.js';
import { DrivenInformer } from '../../test/helpers/fake-informer.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const NOW = Date.parse('2026-01-01T00:00:00Z');
const KUBECONFIG = 'apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://10.0.0.1:6443\n  name: ""\n';

const token = (id: string, data: Record<string, string> = {}, name = `bootstrap-token-${id}`): KubeObject =>
  ({ metadata: { name, namespace: 'kube-system' }, type: 'bootstrap.kubernetes.io/token', data: Object.fromEntries(Object.entries({ 'token-id': id, 'token-secret': '0123456789abcdef', 'usage-bootstrap-signing': 'true', ...data }).map(([k, v]) => [k, b64(v)])) }) as KubeObject;

function setUp() {
  const configmaps = new DrivenInformer<KubeObject>();
  const secrets = new DrivenInformer<KubeObject>();
  const updates: Record<string, string>[] = [];
  const client = {
    update: async (_r: unknown, ns: string | undefined, name: string, obj: unknown) => {
      const cm = obj as KubeObject;
      updates.push((cm as { data: Record<string, string> }).data);
      configmaps.put({ ...cm, metadata: { ...cm.metadata, namespace: ns, name } });
      return cm as never;
    },
  };
  const signer = new BootstrapSigner(client, { configmaps, secrets }, { now: () => NOW });
  return { configmaps, secrets, updates, signer };
}

describe('bootstrap signer (bootstrapsigner.go)', () => {
  it('signs cluster-info\'s kubeconfig with each signing token and drops the signatures of tokens gone', async () => {
    const { configmaps, secrets, updates, signer } = setUp();
    secrets.put(token('abcdef'));
    secrets.put(token('unsign', { 'usage-bootstrap-signing': 'false' }));
    secrets.put(token('expire', { expiration: '2025-01-01T00:00:00Z' }));
    secrets.put(token('abcdeg', {}, 'bootstrap-token-zzzzzz'));
    configmaps.put({ metadata: { name: 'cluster-info', namespace: 'kube-public' }, data: { kubeconfig: KUBECONFIG, 'jws-kubeconfig-old000': 'x' } } as KubeObject);
    signer.start();
    await signer.queue.idle();
    expect(updates).toEqual([{ kubeconfig: KUBECONFIG, 'jws-kubeconfig-abcdef': computeDetachedSignature(KUBECONFIG, 'abcdef', '0123456789abcdef') }]);
    // (signed already: nothing to write)
    secrets.put(token('abcdef'));
    await signer.queue.idle();
    expect(updates).toHaveLength(1);
    secrets.remove('kube-system/bootstrap-token-abcdef');
    await signer.queue.idle();
    expect(updates[1]).toEqual({ kubeconfig: KUBECONFIG });
    signer.stop();
  });

  it('leaves a cluster-info without a kubeconfig, and other ConfigMaps, alone', async () => {
    const { configmaps, secrets, updates, signer } = setUp();
    secrets.put(token('abcdef'));
    configmaps.put({ metadata: { name: 'cluster-info', namespace: 'default' }, data: { kubeconfig: KUBECONFIG } } as KubeObject);
    configmaps.put({ metadata: { name: 'cluster-info', namespace: 'kube-public' }, data: { other: 'x' } } as KubeObject);
    signer.start();
    await signer.queue.idle();
    expect(updates).toEqual([]);
    signer.stop();
  });

  it('says why a token Secret may not sign', () => {
    const lines: string[] = [];
    const check = (s: KubeObject) => signingToken(s as never, NOW, (m) => lines.push(m));
    expect(check(token('abcdef'))).toEqual({ id: 'abcdef', secret: '0123456789abcdef' });
    expect(check(token('abcdef', {}, 'my-token'))).toBeUndefined();
    expect(check(token('abcdeg', {}, 'bootstrap-token-abcdef'))).toBeUndefined();
    expect(lines).toEqual(['Invalid secret name: my-token. Must be of form bootstrap-token-<secret-id>.', "Token ID (abcdeg) doesn't match secret name: abcdef"]);
  });
});
