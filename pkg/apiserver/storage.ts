// The storage layer: Kubernetes objects as JSON under /registry/<resource>/<namespace>/<name>,
// every write an etcd transaction with a precondition, resourceVersion = etcd mod revision.
import { Histogram } from 'prom-client';
import type { KubeObject } from '../api/types.js';
import { logger } from '../util/log.js';
import { etcdTypeOf } from './storage-metrics.js';
import { Compare_CompareResult, Compare_CompareTarget, EtcdClient, type Compare, type KeyValue, type RequestOp } from './etcd-client.js';
import { RawObject, withResourceVersion } from './raw-object.js';

const log = logger('storage');

/**
 * As 1.32's etcd3 store records it (storage/etcd3/metrics etcdRequestLatency): by operation and the
 * key's group-resource ("pods", "deployments.apps"), with the apiserver request histogram's buckets.
 */
export const etcdRequestDuration = new Histogram({
  name: 'etcd_request_duration_seconds',
  help: '[ALPHA] Etcd request latency in seconds for each operation and object type.',
  labelNames: ['operation', 'type'],
  buckets: [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60],
});

export interface Versioned {
  obj: KubeObject;
  /** etcd mod_revision of the key: the object's resourceVersion. */
  rev: number;
  /** The object's JSON with its resourceVersion (what `obj` parses from), when at hand. */
  json?: string;
}

/**
 * What an object holds besides its own key (a Service's cluster IP and node ports): `claim` keys
 * must not exist and are created in the object's transaction, `release` keys are deleted in it,
 * so a crash can neither leak nor double-hand-out an allocation.
 */
export interface Holdings {
  claim: string[];
  release: string[];
  /** Value written at claimed keys (who holds them). */
  holder: string;
}

/** `taken`: claimed keys that already existed (the write was not made). */
export type WriteResult = { ok: true; rev: number } | { ok: false; current?: Versioned; taken?: string[] };

/** Like kube-apiserver's compact_rev_key: where history was compacted to. */
export const compactRevKey = '/registry/compact_rev_key';

export class StorageError extends Error {
  constructor(message: string, readonly retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
  }
}

/** Raised when a read at a past revision hits etcd's compaction. */
export class CompactedError extends StorageError {
  constructor(readonly compactRevision: number, options?: { cause?: unknown }) {
    super(`required revision has been compacted (compacted to ${compactRevision})`, false, options);
    this.name = 'CompactedError';
  }
}

export function decode(kv: KeyValue): Versioned {
  const rev = Number(kv.mod_revision);
  const json = withResourceVersion(kv.value!.toString(), rev);
  return { obj: JSON.parse(json) as KubeObject, rev, json };
}

/** The stored bytes as a RawObject, without parsing them. */
export function decodeRaw(kv: KeyValue): RawObject {
  const rev = Number(kv.mod_revision);
  return new RawObject(withResourceVersion(kv.value!.toString(), rev), rev);
}

const key = (k: string): Buffer => Buffer.from(k);
const modEquals = (k: string, rev: number): Compare => ({ key: key(k), target: Compare_CompareTarget.MOD, result: Compare_CompareResult.EQUAL, target_union: { $case: 'mod_revision', value: String(rev) } });
const getOp = (k: string): RequestOp => ({ request: { $case: 'request_range', value: { key: key(k) } } });
const absent = (k: string): Compare => ({ key: key(k), target: Compare_CompareTarget.CREATE, result: Compare_CompareResult.EQUAL, target_union: { $case: 'create_revision', value: '0' } });
const holdingOps = (h: Holdings | undefined): RequestOp[] => [
  ...(h?.claim ?? []).map((k): RequestOp => ({ request: { $case: 'request_put', value: { key: key(k), value: Buffer.from(h!.holder) } } })),
  ...(h?.release ?? []).map((k): RequestOp => ({ request: { $case: 'request_delete_range', value: { key: key(k) } } })),
];

/** The bytes stored for an object. */
export function encode(obj: KubeObject): string {
  // resourceVersion lives in etcd's revision, not in the stored bytes; apiVersion, kind and
  // metadata come first so that readers can splice the revision in without parsing.
  const { apiVersion, kind, metadata, ...rest } = obj;
  const { resourceVersion: _rv, ...meta } = metadata ?? {};
  return JSON.stringify({ apiVersion, kind, metadata: meta, ...rest });
}

/** The operation's name in etcd_request_duration_seconds: a count is 1.32's listWithCount. */
const OPERATION_NAMES: Record<string, string> = { count: 'listWithCount' };

export class Storage {
  constructor(readonly client: EtcdClient) {}

  private async timed<T>(operation: string, key: string, fn: () => Promise<T>): Promise<T> {
    const end = etcdRequestDuration.startTimer({ operation: OPERATION_NAMES[operation] ?? operation, type: etcdTypeOf(key) });
    try {
      return await fn();
    } catch (e) {
      throw wrapEtcdError(e, `${operation} ${key}`);
    } finally {
      end();
    }
  }

  /** `deadline` (epoch ms, every method's): the request's, past which the etcd call is given up (EtcdClient.call). */
  async get(key: string, deadline?: number): Promise<Versioned | undefined> {
    return this.timed('get', key, async () => {
      const res = await this.client.range({ key: Buffer.from(key) }, deadline);
      const kv = res.kvs?.[0];
      return kv ? decode(kv) : undefined;
    });
  }

  /**
   * Lists every object under prefix, in key order, from `startAfter` (exclusive) up to `limit`
   * items, at `revision` (0: the latest). Returns the revision read at and whether more remain.
   */
  /** A range of keys; `count` is how many objects the whole range holds from startKey (etcd's count, bookkeeping keys left out). */
  async list(prefix: string, opts: { limit?: number; startKey?: string; revision?: number; deadline?: number } = {}): Promise<{ items: RawObject[]; rev: number; more: boolean; lastKey?: string; count: number }> {
    return this.timed('list', prefix, async () => {
      const end = prefixEnd(prefix);
      const res = await this.client.range({
        key: Buffer.from(opts.startKey ?? prefix),
        range_end: Buffer.from(end),
        limit: opts.limit ? String(opts.limit) : '0',
        revision: opts.revision ? String(opts.revision) : '0',
      }, opts.deadline);
      const kvs = res.kvs ?? [];
      // Keys with a NUL are bookkeeping (watch-cache sync markers), never objects.
      const items = kvs.filter((kv) => !kv.key!.includes(0)).map(decodeRaw);
      const lastKv = kvs[kvs.length - 1];
      // (a bookkeeping key sorts first in its prefix: if the range holds one, this page has it)
      const count = Number(res.count ?? kvs.length) - (kvs.length - items.length);
      return { items, rev: Number(res.header!.revision), more: res.more ?? false, lastKey: lastKv ? lastKv.key!.toString() : undefined, count };
    });
  }

  /** Everything under prefix at one revision, read in pages so no response grows unbounded. */
  async listAll(prefix: string, pageSize = 2000): Promise<{ items: RawObject[]; rev: number }> {
    const first = await this.list(prefix, { limit: pageSize });
    const items = first.items;
    let page = first;
    while (page.more && page.lastKey) {
      page = await this.list(prefix, { limit: pageSize, startKey: page.lastKey + '\0', revision: first.rev });
      items.push(...page.items);
    }
    return { items, rev: first.rev };
  }

  async count(prefix: string): Promise<number> {
    return this.timed('count', prefix, async () => {
      const res = await this.client.range({ key: Buffer.from(prefix), range_end: Buffer.from(prefixEnd(prefix)), count_only: true });
      return Number(res.count ?? 0);
    });
  }

  /** The current etcd revision (a quorum read of nothing). */
  async currentRevision(): Promise<number> {
    return this.timed('revision', '/registry/-', async () => {
      const res = await this.client.range({ key: Buffer.from('/registry/\0'), count_only: true });
      return Number(res.header!.revision);
    });
  }

  /**
   * Writes obj at key only if the key does not exist; `lease` attaches an etcd lease (a TTL);
   * `holdings` are claimed (and released) in the same transaction.
   */
  async create(k: string, data: string, lease?: string, holdings?: Holdings, deadline?: number): Promise<WriteResult> {
    return this.timed('create', k, async () => {
      const claims = holdings?.claim ?? [];
      const res = await this.client.txn({
        compare: [absent(k), ...claims.map(absent)],
        success: [{ request: { $case: 'request_put', value: { key: key(k), value: Buffer.from(data), lease } } }, ...holdingOps(holdings)],
        failure: claims.length ? [getOp(k), ...claims.map(getOp)] : [],
      }, deadline);
      // The object already existing is a 409, whatever else is taken.
      if (!res.succeeded) return { ok: false, taken: takenOf(res.responses, [k], 0).length ? undefined : takenOf(res.responses, claims, 1) };
      return { ok: true, rev: Number(res.header!.revision) };
    });
  }

  /** Which of `keys` exist. */
  async existing(keys: string[]): Promise<string[]> {
    const found = await Promise.all(keys.map((k) => this.timed('get', k, async () => Number((await this.client.range({ key: key(k), count_only: true })).count ?? 0) > 0)));
    return keys.filter((_, i) => found[i]);
  }

  /** The keys under prefix (no values). */
  async keys(prefix: string): Promise<string[]> {
    return this.timed('list', prefix, async () => {
      const res = await this.client.range({ key: key(prefix), range_end: key(prefixEnd(prefix)), keys_only: true });
      return (res.kvs ?? []).map((kv) => kv.key!.toString());
    });
  }

  /** A plain put (bookkeeping keys), bound to an etcd lease if given; returns the revision written at. */
  async put(k: string, value: string, lease?: string): Promise<number> {
    return this.timed('put', k, async () => Number((await this.client.put({ key: key(k), value: Buffer.from(value), ...(lease ? { lease } : {}) })).header!.revision));
  }

  /** A plain delete (bookkeeping keys). */
  async remove(k: string): Promise<void> {
    await this.timed('delete', k, () => this.client.txn({ compare: [], success: [{ request: { $case: 'request_delete_range', value: { key: key(k) } } }], failure: [] }));
  }

  /** A new etcd lease of `ttlSeconds`; returns its ID. */
  async grantLease(ttlSeconds: number): Promise<string> {
    return this.timed('lease', '/registry/-', async () => {
      const res = await this.client.leaseGrant({ TTL: String(ttlSeconds) });
      if (res.error) throw new StorageError(`etcd lease grant: ${res.error}`, true);
      return res.ID!;
    });
  }

  /** Writes obj at key only if the key's mod revision is still expectedRev. On conflict returns the current object. */
  async update(k: string, data: string, expectedRev: number, lease?: string, holdings?: Holdings, deadline?: number): Promise<WriteResult> {
    return this.timed('update', k, () => this.conditional(k, expectedRev, { request: { $case: 'request_put', value: { key: key(k), value: Buffer.from(data), lease } } }, holdings, deadline));
  }

  /** Deletes key only if its mod revision is still expectedRev (and releases `holdings`). */
  async delete(k: string, expectedRev: number, holdings?: Holdings, deadline?: number): Promise<WriteResult> {
    return this.timed('delete', k, () => this.conditional(k, expectedRev, { request: { $case: 'request_delete_range', value: { key: key(k) } } }, holdings, deadline));
  }

  private async conditional(k: string, expectedRev: number, op: RequestOp, holdings: Holdings | undefined, deadline: number | undefined): Promise<WriteResult> {
    const claims = holdings?.claim ?? [];
    const res = await this.client.txn({
      compare: [modEquals(k, expectedRev), ...claims.map(absent)],
      success: [op, ...holdingOps(holdings)],
      failure: [getOp(k), ...claims.map(getOp)],
    }, deadline);
    if (res.succeeded) return { ok: true, rev: Number(res.header!.revision) };
    const r = res.responses?.[0]?.response;
    const kv = r?.$case === 'response_range' ? r.value.kvs?.[0] : undefined;
    const current = kv ? decode(kv) : undefined;
    // Only a claim conflict when the object itself is unchanged; otherwise retry from `current`.
    const taken = current?.rev === expectedRev ? takenOf(res.responses, claims, 1) : undefined;
    return { ok: false, current, taken };
  }

  /** The revision etcd history was last compacted to by an apiserver (0 if never). */
  async compactedRevision(): Promise<number> {
    const res = await this.timed('get', compactRevKey, () => this.client.range({ key: key(compactRevKey) }));
    const value = res.kvs?.[0]?.value?.toString();
    return value ? Number(value) : 0;
  }

  async compact(revision: number): Promise<void> {
    await this.timed('compact', '/registry/-', async () => {
      // Record it first: readers never backfill from before it.
      await this.client.put({ key: key(compactRevKey), value: Buffer.from(String(revision)) });
      await this.client.compact({ revision: String(revision), physical: false });
    });
    log.info('compacted etcd', { revision });
  }
}

/** The claims whose range responses (from index `from` on) found an existing key. */
function takenOf(responses: { response?: { $case: string; value: unknown } }[] | undefined, claims: string[], from: number): string[] {
  return claims.filter((_, i) => {
    const r = responses?.[from + i]?.response;
    return r?.$case === 'response_range' && ((r.value as { kvs?: unknown[] }).kvs?.length ?? 0) > 0;
  });
}

export function prefixEnd(prefix: string): string {
  const b = Buffer.from(prefix);
  b[b.length - 1] = b[b.length - 1]! + 1;
  return b.toString();
}

export function wrapEtcdError(e: unknown, what: string): Error {
  if (e instanceof StorageError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const m = /required revision has been compacted|compacted/.exec(msg);
  if (m) return new CompactedError(0, { cause: e });
  return new StorageError(`etcd ${what}: ${msg}`, true, { cause: e });
}
