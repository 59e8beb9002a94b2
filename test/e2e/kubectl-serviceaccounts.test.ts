// The stock kubectl with service accounts: create serviceaccount, get sa, describe sa,
// create token (--duration, --audience, --bound-object-kind/--bound-object-name), auth whoami
// with a token, and what a token may do (discovery) and may not (list pods).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pods } from '../../pkg/client/rest-client.js';
import { unverifiedClaims } from '../../pkg/serviceaccount/jwt.js';
import { pod, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { hasKubectl, kubectlAt, kubectlOk } from '../helpers/kubectl.js';

let cp: TestControlPlane;
let dir: string;

const kubectl = (...args: string[]) => kubectlAt(cp.kubeconfig, join(dir, 'cache'), args);
const ok = (...args: string[]) => kubectlOk(cp.kubeconfig, join(dir, 'cache'), args);
/** kubectl as the bearer of `token` (no kubeconfig user). */
const asToken = (token: string, ...args: string[]) =>
  kubectlAt('/dev/null', join(dir, 'cache'), ['--server', cp.server.url, '--certificate-authority', join(cp.dataDir, 'pki', 'ca.crt'), '--token', token, ...args]);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-kubectl-sa-'));
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasKubectl)('kubectl with service accounts', () => {
  it('create serviceaccount, get sa (with the default one), describe sa', async () => {
    expect(await ok('create', 'serviceaccount', 'bot')).toBe('serviceaccount/bot created\n');
    expect(await ok('get', 'sa')).toMatch(/^NAME\s+SECRETS\s+AGE\nbot\s+0\s+\d+s\ndefault\s+0\s+\d+s\n$/);
    const d = await ok('describe', 'sa', 'bot');
    expect(d).toMatch(/^Name:\s+bot\nNamespace:\s+default\n/);
    expect(d).toMatch(/Tokens:\s+<none>/);
    const dup = await kubectl('create', 'sa', 'bot');
    expect(dup.err).toBe('error: failed to create serviceaccount: serviceaccounts "bot" already exists\n');
  });

  it('create token: an hour by default, --duration, --audience, bound to a pod; refusals', async () => {
    const t0 = Math.floor(Date.now() / 1000);
    const token = (await ok('create', 'token', 'bot')).trim();
    const c = unverifiedClaims(token)!;
    expect(c).toMatchObject({ sub: 'system:serviceaccount:default:bot', aud: ['https://kubernetes.default.svc.cluster.local'] });
    expect(c.exp! - c.iat!).toBe(3600);
    expect(c.iat!).toBeGreaterThanOrEqual(t0 - 1);

    const vault = unverifiedClaims((await ok('create', 'token', 'bot', '--duration=10m', '--audience=vault')).trim())!;
    expect([vault.aud, vault.exp! - vault.iat!]).toEqual([['vault'], 600]);

    await cp.admin.create(Pods, 'default', pod('bot-pod', { spec: { serviceAccountName: 'bot', containers: [{ name: 'main', image: 'busybox' }] } }));
    const bound = unverifiedClaims((await ok('create', 'token', 'bot', '--bound-object-kind', 'Pod', '--bound-object-name', 'bot-pod')).trim())!;
    expect(bound['kubernetes.io']).toMatchObject({ pod: { name: 'bot-pod' } });

    expect((await kubectl('create', 'token', 'bot', '--duration=1m')).err).toBe('error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes\n');
    expect((await kubectl('create', 'token', 'nobody')).err).toBe('error: failed to create token: serviceaccounts "nobody" not found\n');
    expect((await kubectl('create', 'token', 'bot', '--bound-object-kind', 'Pod', '--bound-object-name', 'nope')).err).toBe('error: failed to create token: pods "nope" not found\n');
  });

  it('a token authenticates: auth whoami, discovery; listing pods is forbidden', async () => {
    const token = (await ok('create', 'token', 'bot')).trim();
    const who = await asToken(token, 'auth', 'whoami');
    expect(who.err).toBe('');
    expect(who.out).toMatch(/Username\s+system:serviceaccount:default:bot\n/);
    expect(who.out).toMatch(/Groups\s+\[system:serviceaccounts system:serviceaccounts:default system:authenticated\]/);
    expect((await asToken(token, 'get', '--raw', '/api')).out).toContain('"kind":"APIVersions"');
    expect((await asToken(token, 'version', '-o', 'json')).out).toContain('"serverVersion"');
    const pods = await asToken(token, 'get', 'pods');
    expect(pods.err).toBe('Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:default:bot" cannot list resource "pods" in API group "" in the namespace "default"\n');
    expect((await asToken(`${token.slice(0, -6)}AAAAAA`, 'get', '--raw', '/api')).err).toContain('Unauthorized');
  });
});
