import { describe, expect, it } from 'vitest';
import type { Pod, TokenRequest } from '../api/types.js';
import { requiresRefresh, TokenManager } from './token-manager.js';

const pod = (uid = 'uid-1'): Pod => ({ metadata: { name: 'web', namespace: 'team', uid }, spec: { serviceAccountName: 'builder', containers: [] } });

/** A fake apiserver: answers each TokenRequest with token-N valid for the seconds asked, from the fake clock. */
function fakeApi(clock: { now: number }) {
  const calls: { ns: string; sa: string; req: TokenRequest }[] = [];
  let fail = false;
  const request = async (ns: string, sa: string, req: TokenRequest): Promise<TokenRequest> => {
    calls.push({ ns, sa, req });
    if (fail) throw new Error('connection refused');
    return { ...req, status: { token: `token-${calls.length}`, expirationTimestamp: new Date(clock.now + req.spec!.expirationSeconds! * 1000).toISOString() } };
  };
  return { calls, request, setFailing: (f: boolean) => (fail = f) };
}

describe('token manager', () => {
  it('asks for a token bound to the pod, with the audience only when the projection names one', async () => {
    const clock = { now: 0 };
    const api = fakeApi(clock);
    const m = new TokenManager(api.request, () => clock.now, () => 0);
    expect(await m.get(pod(), { expirationSeconds: 3607 })).toBe('token-1');
    expect(await m.get(pod(), { audience: 'vault', expirationSeconds: 600 })).toBe('token-2');
    expect(api.calls.map((c) => [c.ns, c.sa, c.req.spec])).toEqual([
      ['team', 'builder', { expirationSeconds: 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'uid-1' } }],
      ['team', 'builder', { audiences: ['vault'], expirationSeconds: 600, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'uid-1' } }],
    ]);
  });

  it('keeps a token until 80% of its life has gone, then renews it', async () => {
    const clock = { now: 1_000_000 };
    const api = fakeApi(clock);
    const m = new TokenManager(api.request, () => clock.now, () => 0);
    expect(await m.get(pod(), { expirationSeconds: 1000 })).toBe('token-1');
    clock.now += 799_000;
    expect(await m.get(pod(), { expirationSeconds: 1000 })).toBe('token-1');
    clock.now += 2_000;
    expect(await m.get(pod(), { expirationSeconds: 1000 })).toBe('token-2');
    expect(api.calls).toHaveLength(2);
  });

  it('renews a token after 24 hours even when its life is longer', () => {
    const day = 24 * 3600_000;
    expect(requiresRefresh(0, 10 * day, day - 1000, 0)).toBe(false);
    expect(requiresRefresh(0, 10 * day, day + 1000, 0)).toBe(true);
    // Jitter brings the renewal a little forward.
    expect(requiresRefresh(0, 1000_000, 795_000, 10_000)).toBe(true);
  });

  it('serves the current token while the apiserver cannot be reached, until it expires', async () => {
    const clock = { now: 0 };
    const api = fakeApi(clock);
    const m = new TokenManager(api.request, () => clock.now, () => 0);
    await m.get(pod(), { expirationSeconds: 1000 });
    api.setFailing(true);
    clock.now = 900_000;
    expect(await m.get(pod(), { expirationSeconds: 1000 })).toBe('token-1');
    clock.now = 1_000_001;
    await expect(m.get(pod(), { expirationSeconds: 1000 })).rejects.toThrow('connection refused');
  });

  it('tokens are per pod uid and go with the pod', async () => {
    const clock = { now: 0 };
    const api = fakeApi(clock);
    const m = new TokenManager(api.request, () => clock.now, () => 0);
    await m.get(pod('a'), { expirationSeconds: 600 });
    expect(await m.get(pod('b'), { expirationSeconds: 600 })).toBe('token-2');
    m.forgetPod('a');
    expect(m.size).toBe(1);
    expect(await m.get(pod('a'), { expirationSeconds: 600 })).toBe('token-3');
  });
});
