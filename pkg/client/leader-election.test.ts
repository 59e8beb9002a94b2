// Leader election against an in-memory Lease store whose calls can be made to hang, as an
// apiserver does when the network to it is cut without a reset or it is frozen: the leader must
// stop leading at the renew deadline, before the others may take the lease over.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KubeObject } from '../api/types.js';
import type { ApiClient } from './api-client.js';
import { LeaderElector } from './leader-election.js';
import { StatusError } from './rest-client.js';

/** One Lease, optimistic concurrency on its resourceVersion; `delayMs` holds every answer back (Infinity: never answers). */
function leaseStore() {
  let lease: KubeObject | undefined;
  let rv = 0;
  const s = {
    delayMs: 0,
    calls: 0,
    get lease() {
      return lease;
    },
    answer<T>(fn: () => T): Promise<T> {
      s.calls++;
      const delay = s.delayMs;
      return new Promise<T>((resolve, reject) => {
        if (delay === Infinity) return;
        const go = () => {
          try {
            resolve(fn());
          } catch (e) {
            reject(e);
          }
        };
        if (delay === 0) go();
        else setTimeout(go, delay);
      });
    },
  };
  const notFound = () => new StatusError(404, { reason: 'NotFound' }, 'leases.coordination.k8s.io "kube-controller-manager" not found');
  const conflict = () => new StatusError(409, { reason: 'Conflict' }, 'the object has been modified; please apply your changes to the latest version and try again');
  const client = {
    get: () =>
      s.answer(() => {
        if (!lease) throw notFound();
        return structuredClone(lease);
      }),
    create: (_ref: unknown, _ns: unknown, obj: KubeObject) =>
      s.answer(() => {
        if (lease) throw conflict();
        lease = { ...structuredClone(obj), metadata: { ...obj.metadata, resourceVersion: String(++rv) } };
        return structuredClone(lease);
      }),
    update: (_ref: unknown, _ns: unknown, _name: unknown, obj: KubeObject) =>
      s.answer(() => {
        if (obj.metadata?.resourceVersion !== lease?.metadata?.resourceVersion) throw conflict();
        lease = { ...structuredClone(obj), metadata: { ...obj.metadata, resourceVersion: String(++rv) } };
        return structuredClone(lease);
      }),
  } as unknown as ApiClient;
  return { store: s, client };
}

function elector(client: ApiClient, identity: string) {
  const events: string[] = [];
  const e = new LeaderElector(client, {
    namespace: 'kube-system',
    name: 'kube-controller-manager',
    identity,
    leaseDurationSec: 15,
    renewDeadlineSec: 10,
    retryPeriodSec: 2,
    onStartedLeading: () => events.push('started'),
    onStoppedLeading: () => events.push('stopped'),
  });
  return { e, events };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('LeaderElector', () => {
  it('a leader whose renewals hang stops leading at the renew deadline (10 s), before its 15 s lease can be taken over', async () => {
    const { store, client } = leaseStore();
    const { e, events } = elector(client, 'a');
    e.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(e.isLeader).toBe(true);
    await vi.advanceTimersByTimeAsync(4000); // renewed twice
    expect(store.calls).toBeGreaterThanOrEqual(4);
    store.delayMs = Infinity; // the apiserver stops answering
    await vi.advanceTimersByTimeAsync(9000);
    expect(e.isLeader).toBe(true); // within the deadline: still leading
    await vi.advanceTimersByTimeAsync(2000);
    expect(e.isLeader).toBe(false);
    expect(events).toEqual(['started', 'stopped']);
    await e.stop(false);
  });

  it('a renewal answered after the renew deadline does not count: leading stops and starts again only with a timely renewal', async () => {
    const { store, client } = leaseStore();
    const { e, events } = elector(client, 'a');
    e.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(e.isLeader).toBe(true);
    store.delayMs = 6000; // a get and an update: 12 s for a renewal
    await vi.advanceTimersByTimeAsync(2000 + 12_500);
    expect(e.isLeader).toBe(false);
    expect(events).toEqual(['started', 'stopped']);
    // Answers in time again: the lease is still ours, renewed, and we lead again.
    store.delayMs = 0;
    await vi.advanceTimersByTimeAsync(4000);
    expect(e.isLeader).toBe(true);
    expect(events).toEqual(['started', 'stopped', 'started']);
    expect((store.lease?.spec as { holderIdentity?: string }).holderIdentity).toBe('a');
    await e.stop(false);
  });

  it("the leaderElection health check (client-go's HealthzAdaptor): a leader not seen renewing for its lease duration plus the tolerance is unhealthy; a standby is healthy", async () => {
    const { client } = leaseStore();
    const { e } = elector(client, 'a');
    const b = elector(client, 'b');
    e.start();
    await vi.advanceTimersByTimeAsync(1);
    b.e.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(e.isLeader).toBe(true);
    expect(() => e.check(20_000)).not.toThrow();
    // (a wedged process: the clock moves, no timer runs, no renewal happens)
    vi.setSystemTime(Date.now() + 35_001);
    expect(() => e.check(20_000)).toThrow('failed election to renew leadership on lease kube-controller-manager');
    expect(() => b.e.check(20_000)).not.toThrow();
    await e.stop(false);
    await b.e.stop(false);
  });

  it('a standby takes the lease over once it has not changed for the lease duration, not before', async () => {
    const { client } = leaseStore();
    const a = elector(client, 'a');
    a.e.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(a.e.isLeader).toBe(true);
    const b = elector(client, 'b');
    b.e.start();
    await vi.advanceTimersByTimeAsync(1);
    await a.e.stop(false); // killed: no release
    await vi.advanceTimersByTimeAsync(14_000);
    expect(b.e.isLeader).toBe(false);
    await vi.advanceTimersByTimeAsync(4000);
    expect(b.e.isLeader).toBe(true);
    await b.e.stop(false);
  });

  it('an elector stopped while its call is under way does not start leading when the answer comes', async () => {
    const { store, client } = leaseStore();
    const { e, events } = elector(client, 'a');
    store.delayMs = 1000;
    e.start();
    await vi.advanceTimersByTimeAsync(500);
    await e.stop(false);
    await vi.advanceTimersByTimeAsync(3000);
    expect(e.isLeader).toBe(false);
    expect(events).toEqual([]);
  });
});
