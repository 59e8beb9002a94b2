// The apiserver's etcd client (pkg/apiserver/etcd-client.ts) against a real etcd: KV calls and
// transactions as storage makes them, etcd's errors as EtcdError, watches (events, compaction,
// cancel), failover between endpoints when a member is dead or dies, leases, and close().
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Compare_CompareResult, Compare_CompareTarget, EtcdClient, EtcdCompactedError, EtcdError, Event_EventType, type EtcdClientOptions, type EtcdWatch, type WatchCreateRequest, type WatchResponse } from '../../pkg/apiserver/etcd-client.js';
import { prefixEnd } from '../../pkg/apiserver/storage.js';
import { UnaryConnection } from '../../pkg/apiserver/etcd-h2-unary.js';
import { RangeRequest } from '../../pkg/api/generated/etcd/rpc.js';
import { EtcdCluster } from '../helpers/etcd-cluster.js';

const b = (s: string) => Buffer.from(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Every client a test makes is closed after it, pass or fail. */
const clients: EtcdClient[] = [];
function client(endpoints: string[], opts?: EtcdClientOptions): EtcdClient {
  const c = new EtcdClient(endpoints, opts);
  clients.push(c);
  return c;
}
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

/** A watch that records what it receives. */
class Recorder {
  readonly responses: WatchResponse[] = [];
  errors: EtcdError[] = [];
  readonly watch: EtcdWatch;
  constructor(c: EtcdClient, req: WatchCreateRequest) {
    this.watch = c.watch(req, (r) => this.responses.push(r), (e) => this.errors.push(e));
  }
  get events() {
    return this.responses.flatMap((r) => r.events ?? []);
  }
  eventsUntil(n: number) {
    return until(`${n} watch events`, () => (this.events.length >= n ? this.events : undefined));
  }
  error() {
    return until('the watch to end with an error', () => this.errors[0]);
  }
}
const recorders: Recorder[] = [];
function record(c: EtcdClient, req: WatchCreateRequest): Recorder {
  const r = new Recorder(c, req);
  recorders.push(r);
  return r;
}
afterEach(() => {
  for (const r of recorders.splice(0)) r.watch.cancel();
});

/** The rejection of p, which must be an EtcdError. */
async function etcdError(p: Promise<unknown>): Promise<EtcdError> {
  const e = await p.then(
    (v) => {
      throw new Error(`expected an etcd error, got ${JSON.stringify(v)}`);
    },
    (e: unknown) => e,
  );
  expect(e).toBeInstanceOf(EtcdError);
  return e as EtcdError;
}

describe('one etcd member', () => {
  let etcd: EtcdCluster;
  let c: EtcdClient;

  beforeAll(async () => {
    etcd = new EtcdCluster();
    await etcd.start(1);
  });
  afterAll(async () => {
    await etcd?.stop();
  });
  beforeEach(() => {
    c = client(etcd.endpoints);
  });

  it('puts, ranges, and writes through txns with a mod_revision precondition', async () => {
    const r1 = Number((await c.put({ key: b('/kv/a'), value: b('1') })).header!.revision);
    const r2 = Number((await c.put({ key: b('/kv/b'), value: b('2') })).header!.revision);
    const r3 = Number((await c.put({ key: b('/kv/c'), value: b('3') })).header!.revision);
    expect(r2).toBeGreaterThan(r1);
    expect(r3).toBeGreaterThan(r2);

    const one = await c.range({ key: b('/kv/a') });
    expect(one.kvs).toHaveLength(1);
    expect(one.kvs![0]).toMatchObject({ key: b('/kv/a'), value: b('1'), create_revision: String(r1), mod_revision: String(r1), version: '1' });
    expect(Number(one.header!.revision)).toBeGreaterThanOrEqual(r3);
    expect((await c.range({ key: b('/kv/missing') })).kvs ?? []).toEqual([]);

    const all = { key: b('/kv/'), range_end: b(prefixEnd('/kv/')) };
    const listed = await c.range(all);
    expect(listed.kvs!.map((kv) => kv.key!.toString())).toEqual(['/kv/a', '/kv/b', '/kv/c']);
    expect(listed.more ?? false).toBe(false);

    const page = await c.range({ ...all, limit: '2' });
    expect(page.kvs!.map((kv) => kv.value!.toString())).toEqual(['1', '2']);
    expect(page.more).toBe(true);
    expect(page.count).toBe('3');

    const counted = await c.range({ ...all, count_only: true });
    expect(counted.kvs ?? []).toEqual([]);
    expect(counted.count).toBe('3');

    // Compare-and-swap on mod_revision, as storage's update does: the precondition holds.
    const ok = await c.txn({
      compare: [{ key: b('/kv/a'), target: Compare_CompareTarget.MOD, result: Compare_CompareResult.EQUAL, target_union: { $case: 'mod_revision', value: String(r1) } }],
      success: [{ request: { $case: 'request_put', value: { key: b('/kv/a'), value: b('1b') } } }],
      failure: [{ request: { $case: 'request_range', value: { key: b('/kv/a') } } }],
    });
    expect(ok.succeeded).toBe(true);
    const r4 = Number(ok.header!.revision);
    expect(r4).toBeGreaterThan(r3);
    expect((await c.range({ key: b('/kv/a') })).kvs![0]).toMatchObject({ value: b('1b'), mod_revision: String(r4), version: '2' });

    // The same precondition again is stale: nothing is written and the failure branch's range
    // returns the current value.
    const stale = await c.txn({
      compare: [{ key: b('/kv/a'), target: Compare_CompareTarget.MOD, result: Compare_CompareResult.EQUAL, target_union: { $case: 'mod_revision', value: String(r1) } }],
      success: [{ request: { $case: 'request_put', value: { key: b('/kv/a'), value: b('lost') } } }],
      failure: [{ request: { $case: 'request_range', value: { key: b('/kv/a') } } }],
    });
    expect(stale.succeeded).toBe(false);
    expect(Number(stale.header!.revision)).toBe(r4);
    const current = stale.responses![0]!.response;
    expect(current?.$case).toBe('response_range');
    if (current?.$case !== 'response_range') return;
    expect(current.value.kvs![0]).toMatchObject({ key: b('/kv/a'), value: b('1b'), mod_revision: String(r4) });
    expect((await c.range({ key: b('/kv/a') })).kvs![0]!.value).toEqual(b('1b'));

    // Deletes go through txns too: one key under a precondition, then the rest of the prefix.
    const del = await c.txn({
      compare: [{ key: b('/kv/a'), target: Compare_CompareTarget.MOD, result: Compare_CompareResult.EQUAL, target_union: { $case: 'mod_revision', value: String(r4) } }],
      success: [{ request: { $case: 'request_delete_range', value: { key: b('/kv/a') } } }],
    });
    expect(del.succeeded).toBe(true);
    expect(del.responses![0]!.response).toMatchObject({ $case: 'response_delete_range', value: { deleted: '1' } });
    expect(Number(del.header!.revision)).toBeGreaterThan(r4);
    const delAll = await c.txn({ success: [{ request: { $case: 'request_delete_range', value: { ...all, prev_kv: true } } }] });
    const d = delAll.responses![0]!.response;
    expect(d).toMatchObject({ $case: 'response_delete_range', value: { deleted: '2' } });
    if (d?.$case === 'response_delete_range') expect(d.value.prev_kvs!.map((kv) => kv.value!.toString())).toEqual(['2', '3']);
    expect((await c.range({ ...all, count_only: true })).count).toBe('0');
  });

  it('writes and reads values larger than the HTTP/2 windows and frames, many at once', async () => {
    // 1 MB values: more than etcd's initial stream window (64 KB) and frame size (16 KB) each.
    const values = Array.from({ length: 6 }, (_, i) => Buffer.alloc(1 << 20, 97 + i));
    await Promise.all(values.map((v, i) => c.put({ key: b(`/big/${i}`), value: v })));
    const got = await c.range({ key: b('/big/'), range_end: b(prefixEnd('/big/')) });
    expect(got.kvs!.map((kv) => [kv.key!.toString(), kv.value!.length, kv.value![1 << 19]])).toEqual(values.map((v, i) => [`/big/${i}`, 1 << 20, 97 + i]));
    // Past etcd's gRPC message limit: its error text (decoded from Huffman code by node:http2), and the client goes on.
    const e = await etcdError(c.put({ key: b('/big/huge'), value: Buffer.alloc(2 << 20) }));
    expect(e.message).toMatch(/^grpc: received message larger than max/);
    expect((await c.range({ key: b('/big/0'), count_only: true })).count).toBe('1');
  });

  it('keeps an idle connection: no pings without calls, which etcd answers with GOAWAY', async () => {
    const u = new UnaryConnection(etcd.endpoints[0]!, 300);
    try {
      const range = RangeRequest.encode({ key: b('/idle/k') }).finish();
      await u.call('/etcdserverpb.KV/Range', range, 5000);
      await sleep(2500); // (etcd's gRPC server sends GOAWAY after the third ping on a connection without streams)
      await u.call('/etcdserverpb.KV/Range', range, 5000);
      expect(u.dials).toBe(1);
    } finally {
      u.close();
    }
  });

  it("reports etcd's errors as EtcdError with etcd's message and gRPC code", async () => {
    const rev = Number((await c.put({ key: b('/err/k'), value: b('v') })).header!.revision);
    const e = await etcdError(c.range({ key: b('/err/k'), revision: String(rev + 1000) }));
    expect(e.message).toBe('etcdserver: mvcc: required revision is a future revision');
    expect(e.code).toBe(11); // OUT_OF_RANGE
    expect(e.transport).toBe(false);
    expect(e.retryable(true)).toBe(false);
    // The client still works after an error.
    expect((await c.range({ key: b('/err/k') })).kvs![0]!.value).toEqual(b('v'));
  });

  it('watches PUT and DELETE events in order from a start revision, with prev_kv when asked', async () => {
    const r1 = Number((await c.put({ key: b('/w/a'), value: b('1') })).header!.revision);
    await c.put({ key: b('/w/a'), value: b('2') });
    await c.put({ key: b('/w/b'), value: b('3') });
    await c.txn({ success: [{ request: { $case: 'request_delete_range', value: { key: b('/w/a') } } }] });
    await c.put({ key: b('/outside'), value: b('x') });

    const range = { key: b('/w/'), range_end: b(prefixEnd('/w/')) };
    const withPrev = record(c, { ...range, start_revision: String(r1), prev_kv: true });
    const plain = record(c, { ...range, start_revision: String(r1 + 1) });
    const events = await withPrev.eventsUntil(4);
    expect(events.map((e) => [e.type ?? Event_EventType.PUT, e.kv!.key!.toString(), e.kv!.value?.toString() ?? ''])).toEqual([
      [Event_EventType.PUT, '/w/a', '1'],
      [Event_EventType.PUT, '/w/a', '2'],
      [Event_EventType.PUT, '/w/b', '3'],
      [Event_EventType.DELETE, '/w/a', ''],
    ]);
    expect(events.map((e) => Number(e.kv!.mod_revision))).toEqual([r1, r1 + 1, r1 + 2, r1 + 3]);
    expect(events[0]!.prev_kv).toBeUndefined(); // a create has no previous value
    expect(events[1]!.prev_kv).toMatchObject({ value: b('1'), mod_revision: String(r1) });
    expect(events[3]!.prev_kv).toMatchObject({ value: b('2'), mod_revision: String(r1 + 1) });

    // Live events follow the backlog, on the same stream.
    const r5 = Number((await c.put({ key: b('/w/c'), value: b('4') })).header!.revision);
    expect((await withPrev.eventsUntil(5))[4]!.kv).toMatchObject({ key: b('/w/c'), mod_revision: String(r5) });

    const plainEvents = await plain.eventsUntil(4);
    expect(plainEvents.map((e) => Number(e.kv!.mod_revision))).toEqual([r1 + 1, r1 + 2, r1 + 3, r5]);
    expect(plainEvents.every((e) => e.prev_kv === undefined)).toBe(true);
    expect(withPrev.errors).toEqual([]);
  });

  it('ends a watch from a compacted revision with EtcdCompactedError', async () => {
    const old = Number((await c.put({ key: b('/compact/k'), value: b('1') })).header!.revision);
    const rev = Number((await c.put({ key: b('/compact/k'), value: b('2') })).header!.revision);
    await c.compact({ revision: String(rev) });

    const w = record(c, { key: b('/compact/k'), start_revision: String(old) });
    const e = await w.error();
    expect(e).toBeInstanceOf(EtcdCompactedError);
    expect((e as EtcdCompactedError).compactRevision).toBe(rev);
    expect(e.transport).toBe(false);
    expect(w.events).toEqual([]);
    // A read at a compacted revision is refused with etcd's message, which storage maps to CompactedError.
    const r = await etcdError(c.range({ key: b('/compact/k'), revision: String(old) }));
    expect(r.message).toBe('etcdserver: mvcc: required revision has been compacted');
    expect(r.code).toBe(11);
    // From the compact revision on, history is still there.
    const ok = record(c, { key: b('/compact/k'), start_revision: String(rev) });
    expect((await ok.eventsUntil(1))[0]!.kv!.value).toEqual(b('2'));
    expect(ok.errors).toEqual([]);
  });

  it('stops delivering after cancel() and reports no error', async () => {
    const range = { key: b('/cancel/'), range_end: b(prefixEnd('/cancel/')) };
    const rev = Number((await c.put({ key: b('/cancel/1'), value: b('1') })).header!.revision);
    const cancelled = record(c, { ...range, start_revision: String(rev) });
    await cancelled.eventsUntil(1);
    cancelled.watch.cancel();

    // A second watch sees the later writes; by then the first would have too.
    const witness = record(c, { ...range, start_revision: String(rev + 1) });
    await c.put({ key: b('/cancel/2'), value: b('2') });
    await c.put({ key: b('/cancel/3'), value: b('3') });
    await witness.eventsUntil(2);
    await sleep(200);
    expect(cancelled.events).toHaveLength(1);
    expect(cancelled.errors).toEqual([]);
  });

  it('grants leases with 64-bit IDs, and etcd deletes a leased key when the lease expires', async () => {
    const chosen = await c.leaseGrant({ TTL: '2' });
    expect(chosen.ID).toMatch(/^[1-9]\d*$/);
    expect(chosen.error ?? '').toBe('');

    // An ID past 2^53, where a double would round it to 2^53 (9007199254740992).
    const id = '9007199254740993';
    const lease = await c.leaseGrant({ TTL: '2', ID: id });
    expect(lease.ID).toBe(id);
    const ttl = Number(lease.TTL);
    expect(ttl).toBeGreaterThanOrEqual(2); // etcd raises a TTL below its minimum (about 1.5 election timeouts)
    const granted = Date.now();

    await c.put({ key: b('/lease/k'), value: b('v'), lease: id });
    await c.put({ key: b('/lease/kept'), value: b('v') });
    expect((await c.range({ key: b('/lease/k') })).kvs![0]!.lease).toBe(id);

    await until('the leased key to be deleted', async () => ((await c.range({ key: b('/lease/k'), count_only: true })).count === '0' ? true : undefined), ttl * 1000 + 5000);
    expect(Date.now() - granted).toBeGreaterThanOrEqual(ttl * 1000 - 500);
    expect((await c.range({ key: b('/lease/kept') })).kvs).toHaveLength(1);
  });

  it('fails over from a dead endpoint, for reads and for writes never sent', async () => {
    const dead = "http://127.0.0.1:1"; // (nothing listens on port 1; a free port could be taken by a test running beside this one)
    const writer = client([dead, ...etcd.endpoints]);
    const rev = Number((await writer.put({ key: b('/failover/k'), value: b('v') })).header!.revision);
    expect((await writer.range({ key: b('/failover/k') })).kvs![0]!.mod_revision).toBe(String(rev));

    const reader = client([dead, ...etcd.endpoints]);
    expect((await reader.range({ key: b('/failover/k') })).kvs![0]!.value).toEqual(b('v'));
    const w = record(reader, { key: b('/failover/k'), start_revision: String(rev) });
    expect((await w.eventsUntil(1))[0]!.kv!.mod_revision).toBe(String(rev));
  });

  it('ends a call and its retries at its deadline, as a Go context ends a clientv3 call', async () => {
    const dead = 'http://127.0.0.1:1';
    const c = client([dead]);
    // (without one, a read of a dead endpoint is tried 8 times, 3.5 s of pauses in all)
    const t0 = Date.now();
    const err = await c.range({ key: b('/deadline/k') }, Date.now() + 300).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(EtcdError);
    expect(Date.now() - t0).toBeLessThan(1000);
    // (one already past: not tried at all)
    const past = await client(etcd.endpoints).range({ key: b('/deadline/k') }, Date.now() - 1).then(() => undefined, (e: unknown) => e);
    expect((past as EtcdError).message).toBe('etcd /etcdserverpb.KV/Range: context deadline exceeded');
    // (one in time: answered)
    expect((await client(etcd.endpoints).range({ key: b('/deadline/k') }, Date.now() + 5000)).kvs ?? []).toEqual([]);
  });

  it('leaves nothing open after close(), and calls after close reject', async () => {
    // Open sockets are what would keep the process from exiting (the client's timers are unref'd).
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'ConnectWrap').length;
    // Connections of earlier tests' clients (closed after each test) finish closing first.
    await until('earlier connections to close', () => sockets() === 0 || undefined, 3000);
    const closing = client(etcd.endpoints);
    await closing.put({ key: b('/close/k'), value: b('v') });
    const w = record(closing, { key: b('/close/k') });
    await until('the watch to be created', () => w.responses[0]);
    expect(sockets()).toBeGreaterThan(0);

    closing.close();
    await until('the connection to close', () => sockets() === 0 || undefined, 2000);
    // Later calls and watches fail at once instead of connecting again.
    const after = await Promise.race([closing.range({ key: b('/close/k') }).then(() => 'answered', (e: Error) => e), sleep(3000).then(() => 'hung')]);
    expect(after).toBeInstanceOf(EtcdError);
    expect((after as EtcdError).message).toMatch(/closed/);
    await etcdError(closing.put({ key: b('/close/k'), value: b('w') }));
    const watchAfter = record(closing, { key: b('/close/k') });
    expect((await watchAfter.error()).message).toMatch(/closed/);
    await sleep(100);
    expect(sockets()).toBe(0);
    expect((await c.range({ key: b('/close/k') })).kvs![0]!.value).toEqual(b('v'));
  });
});

describe('three etcd members', () => {
  let etcd: EtcdCluster;

  beforeAll(async () => {
    etcd = new EtcdCluster();
    await etcd.start(3);
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  /** The index of a member that is not the leader (etcd's JSON gateway reports who leads). */
  async function follower(): Promise<number> {
    const statuses = await until('a leader', async () => {
      try {
        const s = await Promise.all(etcd.endpoints.map(async (e) => (await (await fetch(`${e}/v3/maintenance/status`, { method: 'POST', body: '{}' })).json()) as { header: { member_id: string }; leader: string }));
        return s.every((x) => x.leader && x.leader !== '0') ? s : undefined;
      } catch {
        return undefined;
      }
    });
    return statuses.findIndex((s) => s.header.member_id !== s.leader);
  }

  it('keeps working through the other members when the one in use is killed', async () => {
    // Kill a follower: the test is about the client moving on, not about etcd electing a leader.
    const victim = await follower();
    const order = [victim, ...[0, 1, 2].filter((i) => i !== victim)];
    const c = client(order.map((i) => etcd.endpoints[i]!));
    const rev = Number((await c.put({ key: b('/kill/k'), value: b('1') })).header!.revision);
    const w = record(c, { key: b('/kill/k'), start_revision: String(rev) });
    await w.eventsUntil(1);

    const exited = new Promise((r) => etcd.members[victim]!.proc!.once('exit', r));
    etcd.kill(victim);
    await exited;
    const e = await w.error();
    expect(e.transport).toBe(true);
    expect(e).not.toBeInstanceOf(EtcdCompactedError);
    expect(e.message).toContain(etcd.endpoints[victim]!);

    const put = await c.put({ key: b('/kill/k'), value: b('2') });
    expect(Number(put.header!.revision)).toBeGreaterThan(rev);
    expect((await c.range({ key: b('/kill/k') })).kvs![0]).toMatchObject({ value: b('2'), mod_revision: put.header!.revision });
    const again = record(c, { key: b('/kill/k'), start_revision: String(rev) });
    expect((await again.eventsUntil(2)).map((ev) => ev.kv!.value!.toString())).toEqual(['1', '2']);
  });
});
