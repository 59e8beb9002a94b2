import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KubeObject } from '../api/types.js';
import { StatusError } from '../client/rest-client.js';
import { controllerEnabled } from './manager.js';
import { TokenCleaner } from './token-cleaner.js';
import { DrivenInformer } from '../../test/helpers/fake-informer.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function tokenSecret(name: string, expiration?: string, over: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'kube-system', uid: `uid-${name}` },
    type: 'bootstrap.kubernetes.io/token',
    data: { 'token-id': b64(name.slice(-6)), 'token-secret': b64('0123456789abcdef'), ...(expiration ? { expiration: b64(expiration) } : {}) },
    ...over,
  } as KubeObject;
}

function setUp(now: number) {
  const secrets = new DrivenInformer<KubeObject>();
  const deleted: { name: string; opts: unknown }[] = [];
  let fail: StatusError | undefined;
  const client = {
    delete: async (_ref: unknown, _ns: string | undefined, name: string, opts?: unknown) => {
      if (fail) throw fail;
      deleted.push({ name, opts });
      return {} as never;
    },
  };
  const cleaner = new TokenCleaner(client, secrets, { now: () => now });
  return { secrets, deleted, cleaner, failWith: (e: StatusError) => (fail = e) };
}

afterEach(() => vi.useRealTimers());

describe('token cleaner (tokencleaner.go)', () => {
  const NOW = Date.parse('2026-01-01T00:00:00Z');

  it('deletes expired and unparseable bootstrap token Secrets of kube-system with a UID precondition, and nothing else', async () => {
    const { secrets, deleted, cleaner } = setUp(NOW);
    secrets.put(tokenSecret('bootstrap-token-aaaaaa', '2025-12-31T23:00:00Z'));
    secrets.put(tokenSecret('bootstrap-token-bbbbbb', 'soon'));
    secrets.put(tokenSecret('bootstrap-token-cccccc'));
    secrets.put(tokenSecret('bootstrap-token-dddddd', '2026-01-02T00:00:00Z'));
    secrets.put(tokenSecret('bootstrap-token-eeeeee', '2020-01-01T00:00:00Z', { type: 'Opaque' }));
    secrets.put(tokenSecret('bootstrap-token-ffffff', '2020-01-01T00:00:00Z', { metadata: { name: 'bootstrap-token-ffffff', namespace: 'default', uid: 'u' } }));
    cleaner.start();
    await cleaner.queue.idle();
    cleaner.stop();
    expect(deleted.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'bootstrap-token-aaaaaa', opts: { preconditions: { uid: 'uid-bootstrap-token-aaaaaa' } } },
      { name: 'bootstrap-token-bbbbbb', opts: { preconditions: { uid: 'uid-bootstrap-token-bbbbbb' } } },
    ]);
  });

  it('a Secret that expires later is deleted when it expires; one edited to an earlier expiry sooner', async () => {
    vi.useFakeTimers({ now: NOW });
    const secrets = new DrivenInformer<KubeObject>();
    const deleted: string[] = [];
    const cleaner = new TokenCleaner({ delete: async (_r, _n, name) => (deleted.push(name), {} as never) }, secrets);
    cleaner.start();
    secrets.put(tokenSecret('bootstrap-token-aaaaaa', '2026-01-01T01:00:00Z'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(deleted).toEqual([]);
    secrets.put(tokenSecret('bootstrap-token-aaaaaa', '2026-01-01T00:10:00Z'));
    await vi.advanceTimersByTimeAsync(9 * 60_000);
    expect(deleted).toEqual([]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(deleted).toEqual(['bootstrap-token-aaaaaa']);
    cleaner.stop();
  });

  it('a failed delete is logged, not retried, as evalSecret swallows it (Conflict, NotFound, or another)', async () => {
    for (const code of [409, 404, 500]) {
      const secrets = new DrivenInformer<KubeObject>();
      let calls = 0;
      const cleaner = new TokenCleaner({ delete: async () => (calls++, Promise.reject(new StatusError(code, { kind: 'Status', code }, `failed with ${code}`))) }, secrets, { now: () => NOW });
      secrets.put(tokenSecret('bootstrap-token-aaaaaa', '2025-01-01T00:00:00Z'));
      cleaner.start();
      await cleaner.queue.idle();
      await new Promise((r) => setTimeout(r, 50));
      cleaner.stop();
      expect(calls).toBe(1);
    }
  });
});

describe('controllerEnabled (IsControllerEnabled)', () => {
  it('tokencleaner runs only when named; * runs the others; -NAME and the first mention win', () => {
    expect(controllerEnabled('tokencleaner')).toBe(false);
    expect(controllerEnabled('tokencleaner', ['*'])).toBe(false);
    expect(controllerEnabled('tokencleaner', ['*', 'bootstrapsigner', 'tokencleaner'])).toBe(true);
    expect(controllerEnabled('tokencleaner', ['-tokencleaner', 'tokencleaner'])).toBe(false);
    expect(controllerEnabled('garbagecollector', ['*'])).toBe(true);
    expect(controllerEnabled('garbagecollector', ['tokencleaner'])).toBe(false);
  });
});
