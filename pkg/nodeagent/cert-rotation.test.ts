import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signClientCertificate } from '../controllers/csr-signing.js';
import { ClientCertificateManager, formatDuration, loadCurrentPair, rotationDeadline } from './cert-rotation.js';
import { StatusError } from '../client/rest-client.js';
import { CsrRequestError, CURRENT_PEM, makeNodeCsr, storePair } from './kubelet-bootstrap.js';

const dir = mkdtempSync(join(tmpdir(), 'tskube-cert-rotation-test-'));
const ca = { caCertFile: join(dir, 'ca.crt'), caKeyFile: join(dir, 'ca.key') };
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', ca.caKeyFile, '-out', ca.caCertFile, '-subj', '/CN=test-ca', '-days', '2'], { stdio: 'ignore' });
});

const newKey = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
/** A node client certificate for the key, valid exactly from notBefore to notAfter (whole seconds). */
const sign = async (key: string, notBefore: number, notAfter: number) => signClientCertificate(await makeNodeCsr(key, 'worker-1', dir), ca, new Date(notBefore), new Date(notAfter));

const T0 = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3600_000;

/** A cert dir whose current pair was issued at T0 for 10 hours. */
async function certDir(name: string) {
  const d = join(dir, name);
  mkdirSync(d);
  const key = newKey();
  storePair(d, await sign(key, T0, T0 + 10 * HOUR), key, T0);
  return { d, key };
}

/** A clock that moves only when the manager sleeps; sleeping more than `limit` times waits for stop(). */
function fakeClock(start: number, limit: number) {
  const c = { t: start, sleeps: [] as number[] };
  return {
    c,
    now: () => c.t,
    sleep: async (ms: number, signal: AbortSignal) => {
      c.sleeps.push(ms);
      c.t += ms;
      if (c.sleeps.length > limit) await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
    },
  };
}

describe('rotationDeadline (nextRotationDeadline, jitteryDuration)', () => {
  it('is 70% to 90% of the lifetime after notBefore', () => {
    expect(rotationDeadline(T0, T0 + 10 * HOUR, () => 0)).toBe(T0 + 7 * HOUR);
    expect(rotationDeadline(T0, T0 + 10 * HOUR, () => 0.5)).toBe(T0 + 8 * HOUR);
    expect(rotationDeadline(T0, T0 + 10 * HOUR, () => 1)).toBe(T0 + 9 * HOUR);
  });
  it('formats the wait as Go prints a Duration', () => {
    expect(formatDuration(8 * HOUR - 90_500)).toBe('7h58m29.5s');
    expect(formatDuration(2000)).toBe('2s');
  });
});

describe('ClientCertificateManager', () => {
  it('waits until the deadline, then stores a new key and certificate, moves the current link and hands the pair on', async () => {
    const { d, key: oldKey } = await certDir('rotate');
    const oldFile = readlinkSync(join(d, CURRENT_PEM));
    const clock = fakeClock(T0 + HOUR, 1);
    const asked: string[] = [];
    let handed: { cert: string; key: string } | undefined;
    let issued = '';
    const m = new ClientCertificateManager({
      certDir: d,
      ...clock,
      rand: () => 0.5,
      request: async (key) => {
        asked.push(key);
        issued = await sign(key, clock.now() - 300_000, clock.now() + 10 * HOUR);
        return issued;
      },
      rotated: (cert, key) => (handed = { cert, key }),
    });
    m.start();
    await expect.poll(() => handed, { timeout: 10_000 }).toBeDefined();
    await m.stop();
    // (slept from 1 h to the 8 h deadline; no rotation before it)
    expect(clock.c.sleeps[0]).toBe(7 * HOUR);
    expect(asked).toHaveLength(1);
    expect(asked[0]).not.toBe(oldKey);
    const pair = loadCurrentPair(d);
    expect(pair.certPem.trim()).toBe(issued.trim());
    expect(pair.cert.checkPrivateKey(createPrivateKey(asked[0]!))).toBe(true);
    expect(handed).toEqual({ cert: issued, key: asked[0] });
    expect(readlinkSync(join(d, CURRENT_PEM))).not.toBe(oldFile);
    expect(readlinkSync(join(d, CURRENT_PEM))).toMatch(/kubelet-client-2026-01-01-08-00-00\.pem$/);
    // (the old pair's file is left as the kubelet's store leaves it)
    expect(new X509Certificate(readFileSync(oldFile, 'utf8')).checkPrivateKey(createPrivateKey(oldKey))).toBe(true);
    expect(m.rotations).toBe(1);
    expect(m.renewErrors).toBe(0);
  });

  it('without a bootstrap kubeconfig starts from the kubeconfig\'s pair until the cert dir has one (the file store\'s certFile and keyFile)', async () => {
    const d = join(dir, 'from-kubeconfig');
    const key = newKey();
    const initialPair = { certPem: await sign(key, T0, T0 + 10 * HOUR), keyPem: key };
    const clock = fakeClock(T0 + HOUR, 1);
    let handed = false;
    let issued = '';
    const m = new ClientCertificateManager({
      certDir: d,
      initialPair,
      ...clock,
      rand: () => 0.5,
      request: async (k) => (issued = await sign(k, clock.now(), clock.now() + 20 * HOUR)),
      rotated: () => (handed = true),
    });
    // (the kubeconfig's certificate: its 8 h deadline, and its TTL)
    expect(m.nextRotationDeadline()).toBe(T0 + 8 * HOUR);
    expect(m.ttlSeconds()).toBe(9 * 3600);
    expect(m.checkCurrent()).toBe('valid');
    m.start();
    await expect.poll(() => handed, { timeout: 10_000 }).toBe(true);
    await m.stop();
    // (the renewed pair goes into the cert dir, and is the current one from then on)
    expect(loadCurrentPair(d).certPem.trim()).toBe(issued.trim());
    expect(m.nextRotationDeadline()).toBe(T0 + 8 * HOUR + 16 * HOUR);
  });

  it('rotates at once when the deadline has passed', async () => {
    const { d } = await certDir('late');
    const clock = fakeClock(T0 + 9.5 * HOUR, 0);
    let rotated = false;
    const m = new ClientCertificateManager({ certDir: d, ...clock, rand: () => 0, request: (key) => sign(key, clock.now(), clock.now() + HOUR), rotated: () => (rotated = true) });
    m.start();
    await expect.poll(() => rotated, { timeout: 10_000 }).toBe(true);
    await m.stop();
    // (no wait before the rotation: the first sleep is wait.Until's 1 s after it)
    expect(clock.c.sleeps).toEqual([1000]);
  });

  it('rotates at once a certificate that names another node (certSatisfiesTemplate)', async () => {
    const { d } = await certDir('renamed');
    const clock = fakeClock(T0 + HOUR, 0);
    let asked = 0;
    const m = new ClientCertificateManager({ certDir: d, nodeName: 'worker-2', ...clock, rand: () => 0, request: async () => (asked++, Promise.reject(new Error('no'))), rotated: () => undefined });
    expect(m.nextRotationDeadline()).toBe(T0 + HOUR);
    expect(new ClientCertificateManager({ certDir: d, nodeName: 'worker-1', ...clock, rand: () => 0, request: async () => '', rotated: () => undefined }).nextRotationDeadline()).toBe(T0 + 7 * HOUR);
    m.start();
    await expect.poll(() => asked, { timeout: 10_000 }).toBe(1);
    await m.stop();
  });

  it('backs off 2 s doubling for five tries, then tries every 32 s until a certificate comes', async () => {
    const { d } = await certDir('backoff');
    const clock = fakeClock(T0 + 9.5 * HOUR, 6);
    let tries = 0;
    let rotated = false;
    const m = new ClientCertificateManager({
      certDir: d,
      ...clock,
      rand: () => 0,
      request: async (key) => {
        if (++tries <= 6) throw new Error('certificate signing request is denied, reason: NotMine, message: no');
        return sign(key, clock.now(), clock.now() + HOUR);
      },
      rotated: () => (rotated = true),
    });
    m.start();
    await expect.poll(() => rotated, { timeout: 10_000 }).toBe(true);
    await m.stop();
    expect(tries).toBe(7);
    // (five tries with four sleeps between them, then 32 s before each poll: the sixth try fails too)
    expect(clock.c.sleeps).toEqual([2000, 4000, 8000, 16000, 32_000, 32_000, 1000]);
    expect(m.renewErrors).toBe(6);
    expect(m.rotations).toBe(1);
  });

  it('exports the certificate\'s TTL and the renewal errors as the kubelet\'s metrics', async () => {
    const { d } = await certDir('metrics');
    const registry = new Registry();
    let t = T0 + 9 * HOUR + 0.5;
    const m = new ClientCertificateManager({ certDir: d, now: () => t, request: () => Promise.reject(new Error('no')), rotated: () => undefined });
    m.registerMetrics(registry);
    expect(await registry.metrics()).toContain('kubelet_certificate_manager_client_ttl_seconds 3599\n');
    expect(await registry.metrics()).toContain('kubelet_certificate_manager_client_expiration_renew_errors 0\n');
    expect(await m.rotateCerts()).toBe(false);
    expect(await registry.metrics()).toContain('kubelet_certificate_manager_client_expiration_renew_errors 1\n');
    t = T0 + 11 * HOUR;
    expect(await registry.metrics()).toContain('kubelet_certificate_manager_client_ttl_seconds -3600\n');
    rmSync(join(d, CURRENT_PEM));
    expect(await registry.metrics()).toContain('kubelet_certificate_manager_client_ttl_seconds +Inf\n');
    expect(await registry.metrics()).toContain("# HELP kubelet_certificate_manager_client_ttl_seconds [ALPHA] Gauge of the TTL (time-to-live) of the Kubelet's client certificate.");
    expect(await registry.metrics()).toContain('# HELP kubelet_certificate_manager_client_expiration_renew_errors [ALPHA] Counter of certificate renewal errors.\n');
  });

  it("exports the serving certificate's TTL and renewal errors under the kubelet's server names", async () => {
    const { d } = await certDir('server-metrics');
    const registry = new Registry();
    const m = new ClientCertificateManager({ certDir: d, now: () => T0 + 9 * HOUR + 0.5, request: () => Promise.reject(new Error('no')), rotated: () => undefined });
    m.registerMetrics(registry, 'server');
    expect(await m.rotateCerts()).toBe(false);
    const text = await registry.metrics();
    expect(text).toContain("# HELP kubelet_certificate_manager_server_ttl_seconds [ALPHA] Gauge of the shortest TTL (time-to-live) of the Kubelet's serving certificate.");
    expect(text).toContain('kubelet_certificate_manager_server_ttl_seconds 3599\n');
    expect(text).toContain('# HELP kubelet_server_expiration_renew_errors [ALPHA] Counter of certificate renewal errors.\n# TYPE kubelet_server_expiration_renew_errors counter\nkubelet_server_expiration_renew_errors 1\n');
    expect(text).not.toContain('kubelet_certificate_manager_client_');
  });

  it('exits 5 minutes after the last valid certificate when the server answers, and only says so when it does not (UpdateTransport exitAfter)', async () => {
    const { d } = await certDir('expired');
    let t = T0 + 9 * HOUR;
    let answer: unknown = new CsrRequestError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }));
    const m = new ClientCertificateManager({ certDir: d, now: () => t, request: () => Promise.reject(answer), rotated: () => undefined });
    expect(m.checkCurrent()).toBe('valid');
    t = T0 + 10 * HOUR + 1000;
    expect(m.checkCurrent()).toBe('waiting');
    t = T0 + 10 * HOUR + 5 * 60_000 + 1000;
    await m.rotateCerts();
    expect(m.serverHealthy).toBe(false);
    expect(m.checkCurrent()).toBe('waiting');
    // (a 401 is an answer: the server is there and no longer takes the certificate)
    answer = new CsrRequestError(new StatusError(401, undefined, 'Unauthorized'));
    await m.rotateCerts();
    expect(m.serverHealthy).toBe(true);
    // (a request made and then denied says nothing of the server: WaitForCertificate's errors leave it)
    answer = new Error('certificate signing request is denied, reason: R, message: M');
    await m.rotateCerts();
    expect(m.serverHealthy).toBe(true);
    expect(m.renewErrors).toBe(3);
    expect(m.checkCurrent()).toBe('exit');
    // (a pair deleted from disk counts as none)
    rmSync(join(d, CURRENT_PEM));
    expect(m.checkCurrent()).toBe('exit');
  });

  it('stops while it waits', async () => {
    const { d } = await certDir('stop');
    let asked = false;
    const m = new ClientCertificateManager({ certDir: d, now: () => T0, rand: () => 0, request: async () => ((asked = true), ''), rotated: () => undefined });
    m.start();
    await m.stop();
    expect(asked).toBe(false);
  });
});
