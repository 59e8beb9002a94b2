// kube-system/extension-apiserver-authentication as 1.32's cluster authentication trust controller writes it.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.js';
import { certificatePem, createCertificate, KeyUsage } from '../util/x509-create.js';
import { authenticationData, ClusterAuthenticationTrustController, combineCABundles, syncAuthenticationConfigMap, type AuthConfigMapAccess } from './cluster-authentication-trust.js';

const HOUR = 3600_000;
const NOW = Date.now();

function ca(name: string, notAfter = new Date(NOW + 24 * HOUR)): string {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return certificatePem(createCertificate({ serial: 1n, commonName: name, notBefore: new Date(NOW - 48 * HOUR), notAfter, keyUsage: KeyUsage.certSign | KeyUsage.digitalSignature, isCA: true }, publicKey, { selfSigned: privateKey }).der);
}

const cluster = ca('cluster-ca');
const other = ca('other-ca');

/** A ConfigMap store in memory, counting writes. */
function memoryAccess(initial?: Record<string, string>): AuthConfigMapAccess & { cm?: KubeObject; writes: number; fail: number } {
  const a = {
    cm: initial ? ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extension-apiserver-authentication', namespace: 'kube-system', resourceVersion: '1' }, data: initial } as KubeObject) : undefined,
    writes: 0,
    fail: 0,
    async get() {
      if (a.fail > 0) {
        a.fail--;
        throw new Error('etcdserver: request timed out');
      }
      return a.cm && structuredClone(a.cm);
    },
    async create(obj: KubeObject) {
      a.writes++;
      a.cm = obj;
    },
    async update(obj: KubeObject) {
      a.writes++;
      a.cm = obj;
    },
  };
  return a;
}

describe('the extension-apiserver-authentication data', () => {
  it('holds the client CA alone when there is no requestheader CA (no requestheader-* key)', () => {
    expect(authenticationData(undefined, { clientCA: cluster }, NOW)).toEqual({ 'client-ca-file': cluster });
    expect(authenticationData(undefined, {}, NOW)).toEqual({});
  });

  it("keeps the CAs already published first, adds this apiserver's after them, each once", () => {
    expect(authenticationData({ 'client-ca-file': other }, { clientCA: cluster }, NOW)['client-ca-file']).toBe(other + cluster);
    expect(authenticationData({ 'client-ca-file': cluster + other }, { clientCA: cluster }, NOW)['client-ca-file']).toBe(cluster + other);
    expect(combineCABundles(cluster + cluster, cluster, NOW)).toBe(cluster);
  });

  it('drops a certificate expired more than five minutes ago, keeps one within the slack', () => {
    const expired = ca('old-ca', new Date(NOW - 6 * 60_000));
    const justExpired = ca('recent-ca', new Date(NOW - 4 * 60_000));
    expect(authenticationData({ 'client-ca-file': expired + justExpired }, { clientCA: cluster }, NOW)['client-ca-file']).toBe(justExpired + cluster);
    expect(combineCABundles(expired, undefined, NOW)).toBeUndefined();
  });

  it('keeps requestheader-* keys combined with the required ones while a requestheader CA is known', () => {
    const existing = {
      'requestheader-client-ca-file': other,
      'requestheader-username-headers': '["X-Remote-User"]',
      'requestheader-group-headers': '["X-Remote-Group"]',
      'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
      'requestheader-allowed-names': '["front-proxy-client"]',
    };
    expect(authenticationData(existing, { clientCA: cluster, requestHeaderUsernameHeaders: ['X-Remote-User', 'X-User'] }, NOW)).toEqual({
      'client-ca-file': cluster,
      'requestheader-client-ca-file': other,
      'requestheader-username-headers': '["X-Remote-User","X-User"]',
      'requestheader-uid-headers': '[]',
      'requestheader-group-headers': '["X-Remote-Group"]',
      'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
      'requestheader-allowed-names': '["front-proxy-client"]',
    });
    expect(() => authenticationData({ ...existing, 'requestheader-group-headers': 'X-Remote-Group' }, {}, NOW)).toThrow();
  });
});

describe('syncing the ConfigMap', () => {
  it('creates it when missing, leaves it alone when right, updates it when not', async () => {
    const a = memoryAccess();
    expect(await syncAuthenticationConfigMap(a, { clientCA: cluster })).toBe(true);
    expect(a.cm).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extension-apiserver-authentication', namespace: 'kube-system' }, data: { 'client-ca-file': cluster } });
    expect(await syncAuthenticationConfigMap(a, { clientCA: cluster })).toBe(false);
    expect(a.writes).toBe(1);
    const edited = memoryAccess({ 'client-ca-file': other, stray: 'x' });
    expect(await syncAuthenticationConfigMap(edited, { clientCA: cluster })).toBe(true);
    expect(edited.cm!.data).toEqual({ 'client-ca-file': other + cluster });
    expect(edited.cm!.metadata!.resourceVersion).toBe('1');
  });

  it('the controller syncs at start, at each change, and again after a failure', async () => {
    const a = memoryAccess();
    a.fail = 1;
    const c = new ClusterAuthenticationTrustController(a, { clientCA: cluster }, { resyncMs: 60_000, retryMs: 20 });
    try {
      await c.start();
      expect(a.writes).toBe(0);
      await expect.poll(() => a.writes, { timeout: 2000 }).toBe(1);
      a.cm = undefined;
      c.enqueue();
      await expect.poll(() => a.cm?.data, { timeout: 2000 }).toEqual({ 'client-ca-file': cluster });
    } finally {
      c.stop();
    }
  });
});
