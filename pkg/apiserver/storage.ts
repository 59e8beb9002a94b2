// The storage layer: Kubernetes objects as JSON under /registry/<resource>/<namespace>/<name>,
// every write an etcd transaction with a precondition, resourceVersion = etcd mod revision.
import { Etcd3, type IKeyValue } from 'etcd3';
import { Histogram } from 'prom-client';
import type { KubeObject } from '../api/types.js';
import { logger } from '../util/log.js';
import { RawObject, withResourceVersion } from './raw-object.js';

const log = logger('storage');

export const etcdRequestDuration = new Histogram({
  name: 'etcd_request_duration_seconds',
  help: 'Etcd request latency in seconds for each operation and object type.',
  labelNames: ['operation', 'type'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
});

export interface Versioned {
  obj: KubeObject;
  /** etcd mod_revision of the key: the object's resourceVersion. */
  rev: number;
}

export type WriteResult = { ok: true; rev: number } | { ok: false; current?: Versioned };

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

export function decode(kv: IKeyValue): Versioned {
  const obj = JSON.parse(kv.value.toString()) as KubeObject;
  const rev = Number(kv.mod_revision);
  obj.metadata = { ...(obj.metadata ?? {}), resourceVersion: String(rev) };
  return { obj, rev };
}

/** The stored bytes as a RawObject, without parsing them. */
export function decodeRaw(kv: IKeyValue): RawObject {
  const rev = Number(kv.mod_revision);
  return new RawObject(withResourceVersion(kv.value.toString(), rev), rev);
}

function encode(obj: KubeObject): string {
  // resourceVersion lives in etcd's revision, not in the stored bytes; apiVersion, kind and
  // metadata come first so that readers can splice the revision in without parsing.
  const { apiVersion, kind, metadata, ...rest } = obj;
  const { resourceVersion: _rv, ...meta } = metadata ?? {};
  return JSON.stringify({ apiVersion, kind, metadata: meta, ...rest });
}

function typeOf(key: string): string {
  return key.split('/')[2] ?? 'unknown';
}

export class Storage {
  constructor(readonly client: Etcd3) {}

  private async timed<T>(operation: string, key: string, fn: () => Promise<T>): Promise<T> {
    const end = etcdRequestDuration.startTimer({ operation, type: typeOf(key) });
    try {
      return await fn();
    } catch (e) {
      throw wrapEtcdError(e, `${operation} ${key}`);
    } finally {
      end();
    }
  }

  async get(key: string): Promise<Versioned | undefined> {
    return this.timed('get', key, async () => {
      const res = await this.client.get(key).exec();
      const kv = res.kvs[0];
      return kv ? decode(kv) : undefined;
    });
  }

  /**
   * Lists every object under prefix, in key order, from `startAfter` (exclusive) up to `limit`
   * items, at `revision` (0: the latest). Returns the revision read at and whether more remain.
   */
  async list(prefix: string, opts: { limit?: number; startKey?: string; revision?: number } = {}): Promise<{ items: RawObject[]; rev: number; more: boolean; lastKey?: string }> {
    return this.timed('list', prefix, async () => {
      const end = prefixEnd(prefix);
      const res = await this.client.kv.range({
        key: Buffer.from(opts.startKey ?? prefix),
        range_end: Buffer.from(end),
        limit: opts.limit ? String(opts.limit) : '0',
        revision: opts.revision ? String(opts.revision) : '0',
      });
      // Keys with a NUL are bookkeeping (watch-cache sync markers), never objects.
      const items = res.kvs.filter((kv) => !kv.key.includes(0)).map(decodeRaw);
      const lastKv = res.kvs[res.kvs.length - 1];
      return { items, rev: Number(res.header.revision), more: res.more, lastKey: lastKv ? lastKv.key.toString() : undefined };
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
      const res = await this.client.kv.range({ key: Buffer.from(prefix), range_end: Buffer.from(prefixEnd(prefix)), count_only: true });
      return Number(res.count);
    });
  }

  /** The current etcd revision (a quorum read of nothing). */
  async currentRevision(): Promise<number> {
    return this.timed('revision', '/registry/-', async () => {
      const res = await this.client.kv.range({ key: Buffer.from('/registry/\0'), count_only: true });
      return Number(res.header.revision);
    });
  }

  /** Writes obj at key only if the key does not exist. */
  async create(key: string, obj: KubeObject): Promise<WriteResult> {
    return this.timed('create', key, async () => {
      const res = await this.client.if(key, 'Create', '==', 0).then(this.client.put(key).value(encode(obj))).commit();
      if (!res.succeeded) return { ok: false };
      return { ok: true, rev: Number(res.header.revision) };
    });
  }

  /** Writes obj at key only if the key's mod revision is still expectedRev. On conflict returns the current object. */
  async update(key: string, obj: KubeObject, expectedRev: number): Promise<WriteResult> {
    return this.timed('update', key, async () => {
      const res = await this.client
        .if(key, 'Mod', '==', expectedRev)
        .then(this.client.put(key).value(encode(obj)))
        .else(this.client.get(key))
        .commit();
      if (res.succeeded) return { ok: true, rev: Number(res.header.revision) };
      const kv = res.responses[0]?.response_range?.kvs?.[0];
      return { ok: false, current: kv ? decode(kv) : undefined };
    });
  }

  /** Deletes key only if its mod revision is still expectedRev. */
  async delete(key: string, expectedRev: number): Promise<WriteResult> {
    return this.timed('delete', key, async () => {
      const res = await this.client
        .if(key, 'Mod', '==', expectedRev)
        .then(this.client.delete().key(key))
        .else(this.client.get(key))
        .commit();
      if (res.succeeded) return { ok: true, rev: Number(res.header.revision) };
      const kv = res.responses[0]?.response_range?.kvs?.[0];
      return { ok: false, current: kv ? decode(kv) : undefined };
    });
  }

  /** The revision etcd history was last compacted to by an apiserver (0 if never). */
  async compactedRevision(): Promise<number> {
    const v = await this.timed('get', compactRevKey, () => this.client.get(compactRevKey).string());
    return v ? Number(v) : 0;
  }

  async compact(revision: number): Promise<void> {
    await this.timed('compact', '/registry/-', async () => {
      // Record it first: readers never backfill from before it.
      await this.client.put(compactRevKey).value(String(revision));
      await this.client.kv.compact({ revision: String(revision), physical: false });
    });
    log.info('compacted etcd', { revision });
  }
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
