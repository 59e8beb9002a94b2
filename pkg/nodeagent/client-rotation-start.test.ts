// What client certificate rotation starts from without a bootstrap kubeconfig, as the 1.32
// kubelet's buildKubeletClientConfig and bootstrap.LoadClientConfig: the kubeconfig's own pair,
// or the pair rotated into the cert dir once there is one, with no token beside it.
import { generateKeyPairSync } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig } from '../client/kubeconfig.js';
import { signClientCertificate } from '../controllers/csr-signing.js';
import { rotationStart } from './client-rotation-start.js';
import { makeNodeCsr, storePair } from './kubelet-bootstrap.js';

const dir = mkdtempSync(join(tmpdir(), 'tsk-rotation-start-'));
const ca = { caCertFile: join(dir, 'ca.crt'), caKeyFile: join(dir, 'ca.key') };
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', ca.caKeyFile, '-out', ca.caCertFile, '-subj', '/CN=test-ca', '-days', '2'], { stdio: 'ignore' });
});

const newKey = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
const pair = async () => {
  const key = newKey();
  const now = Date.now();
  return { cert: await signClientCertificate(await makeNodeCsr(key, 'worker-1', dir), ca, new Date(now - 60_000), new Date(now + 3600_000)), key };
};
const base: ClusterConfig = { server: 'https://127.0.0.1:6443', caCert: 'CA', namespace: 'default', source: '/etc/kubernetes/kubelet.conf' };

describe('rotationStart (buildKubeletClientConfig with rotateCertificates)', () => {
  it('with a bootstrap kubeconfig, the bootstrapped kubeconfig as it is', () => {
    const kc = { ...base, clientCert: 'C', clientKey: 'K' };
    expect(rotationStart(kc, join(dir, 'none'), true)).toEqual({ config: kc });
  });

  it('without one, the kubeconfig\'s pair seeds the manager and the clients use it, without a token', async () => {
    const p = await pair();
    const kc = { ...base, token: 'tok', clientCert: p.cert, clientKey: p.key };
    const start = rotationStart(kc, join(dir, 'empty'), false);
    expect(start.initialPair).toEqual({ certPem: p.cert, keyPem: p.key });
    expect(start.config).toEqual({ ...base, token: undefined, clientCert: p.cert, clientKey: p.key });
    expect(start.skip).toBeUndefined();
  });

  it('once the cert dir holds a rotated pair, the clients use it instead of the kubeconfig\'s (the agent restarted after a rotation)', async () => {
    const first = await pair();
    const rotated = await pair();
    const d = join(dir, 'rotated');
    mkdirSync(d);
    storePair(d, rotated.cert, rotated.key, Date.now());
    const start = rotationStart({ ...base, clientCert: first.cert, clientKey: first.key }, d, false);
    expect(start.config.clientCert?.trim()).toBe(rotated.cert.trim());
    expect(start.config.clientKey?.trim()).toBe(rotated.key.trim());
    expect(start.initialPair?.certPem).toBe(first.cert);
  });

  it('a kubeconfig with a token alone has nothing to rotate: it is left as it is', () => {
    const kc = { ...base, token: 'tok' };
    expect(rotationStart(kc, join(dir, 'empty2'), false)).toEqual({ config: kc, skip: '/etc/kubernetes/kubelet.conf has no client certificate to rotate' });
  });
});
