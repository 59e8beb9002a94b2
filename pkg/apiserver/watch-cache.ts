// One etcd watch per resource feeds this cache: the current objects, a window of recent events,
// and fan-out to every watcher with its own selectors. A watch can resume from any revision in
// the window; older ones get 410 Gone, as from kube-apiserver's watch cache.
import type { KubeObject } from '../api/types.js';
import { logger } from '../util/log.js';
import { RawObject, withResourceVersion, type Selectable } from './raw-object.js';
import { EtcdCompactedError, Event_EventType, type EtcdError, type EtcdWatch, type KeyValue, type WatchResponse } from './etcd-client.js';
import { decodeRaw, prefixEnd, Storage } from './storage.js';

const log = logger('watch-cache');

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface CacheEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  key: string;
  obj: RawObject;
  prev?: RawObject;
  rev: number;
}

export interface WatchFilter {
  /** Key prefix the watcher is limited to (namespace or single object). */
  keyPrefix: string;
  /** Exact key, for a watch on one named object. */
  exactKey?: string;
  matches(obj: Selectable): boolean;
}

export interface WatchSink {
  send(type: EventType, obj: RawObject): void;
  close(err?: Error): void;
}

export class TooOldError extends Error {
  constructor(readonly requested: number, readonly oldest: number) {
    super(`too old resource version: ${requested} (${oldest})`);
    this.name = 'TooOldError';
  }
}

interface CacheWatcher {
  filter: WatchFilter;
  sink: WatchSink;
  /** Events at or below this revision are already known to the client (it may be ahead of us). */
  minRev: number;
}

enum State {
  Starting,
  Ready,
  Stopped,
}

/** How long a wait for a revision goes before the cache asks for etcd's latest (see WatchCache.waitFor). */
const PROGRESS_AFTER_MS = 100;

/** How long a write hint generation lasts (see WatchCache.expected). */
const hintGenerationMs = 5_000;

/**
 * Invariants: `rev` is the newest revision applied; `window` holds events in revision order, all
 * newer than `oldestRev`, so any resume from rv >= oldestRev is served exactly.
 */
export class WatchCache {
  private items = new Map<string, RawObject>();
  private window: CacheEvent[] = [];
  private windowStart = 0;
  private rev = 0;
  private oldestRev = 0;
  private lastWindowRev = 0;
  private skipBackfill = false;
  private markerWaiter: { token: string; resolve: () => void } | undefined;
  private state = State.Starting;
  private watchers = new Set<CacheWatcher>();
  private etcdWatcher: EtcdWatch | undefined;
  /** Consecutive failed etcd watches, for backoff. */
  private watchFailures = 0;
  /** The revision of the last relist: events up to it are history (window only). */
  private listRev = 0;
  /**
   * Writes this apiserver made, by key: their bytes and selectables, so their events need no
   * parse. A hint is used only by an event with exactly its bytes, so a stale one (a failed
   * write) is never wrong, only kept: hints live for two generations of `hintGenerationMs`.
   */
  private expected = new Map<string, { data: string; select: Selectable }>();
  private expectedOld = new Map<string, { data: string; select: Selectable }>();
  private expectedSince = 0;
  private waiters: { rev: number; resolve: () => void }[] = [];
  /** The marker write under way for consistent reads, and the one queued behind it. */
  private activeSync: Promise<boolean> | undefined;
  private nextSync: Promise<boolean> | undefined;
  private ready: Promise<void>;
  private markReady!: () => void;

  constructor(
    private readonly storage: Storage,
    readonly prefix: string,
    private readonly capacity: number,
    private readonly fieldsOf: (obj: KubeObject) => Record<string, string>,
  ) {
    this.ready = new Promise((r) => (this.markReady = r));
  }

  get revision(): number {
    return this.rev;
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  async start(): Promise<void> {
    await this.relist();
    this.state = State.Ready;
    this.markReady();
  }

  waitReady(): Promise<void> {
    return this.ready;
  }

  private async relist(): Promise<void> {
    let backfillFrom = 0;
    for (;;) {
      try {
        const { items, rev } = await this.storage.listAll(this.prefix);
        this.items = new Map(items.map((v) => [this.keyOfRaw(v), v]));
        this.rev = rev;
        this.listRev = rev;
        this.expected.clear();
        this.expectedOld.clear();
        this.window = [];
        this.windowStart = 0;
        // Refill the event window from etcd's history, so that clients of a previous apiserver
        // (or of this one before a relist) can resume from their last resourceVersion.
        const compacted = await this.storage.compactedRevision();
        backfillFrom = this.skipBackfill ? rev + 1 : Math.max(compacted + 1, rev - this.capacity + 1, 1);
        this.skipBackfill = false;
        this.oldestRev = backfillFrom - 1;
        this.lastWindowRev = this.oldestRev;
        break;
      } catch (e) {
        log.warn('list failed; retrying', { prefix: this.prefix, err: e });
        await sleep(500);
      }
    }
    // History before the list needs each event's previous value (prev_kv) for the window; live
    // events find it in `items`. So the watch asks etcd for previous values only while it
    // backfills, and is restarted without them once the marker shows the backfill is over.
    const backfilling = backfillFrom <= this.rev;
    this.startEtcdWatch(backfillFrom, backfilling);
    // etcd delivers watch events in order: once our marker write comes back, every historical
    // event before it is in the window.
    const token = `${process.pid}-${Date.now()}-${Math.random()}`;
    const seen = new Promise<boolean>((resolve) => (this.markerWaiter = { token, resolve: () => resolve(true) }));
    for (;;) {
      try {
        await this.storage.put(this.markerKey, token);
        break;
      } catch (e) {
        if (this.state === State.Stopped) return;
        log.warn('marker write failed; retrying', { prefix: this.prefix, err: e });
        await sleep(500);
      }
    }
    const arrived = await Promise.race([seen, sleep(10_000).then(() => false)]);
    this.markerWaiter = undefined;
    if (backfilling && arrived && this.state !== State.Stopped) this.startEtcdWatch(this.rev + 1, false);
  }

  /** A key inside the prefix that no object can have (names cannot contain NUL). */
  private get markerKey(): string {
    return `${this.prefix}\0sync`;
  }

  /** (Re)starts the etcd watch at fromRev, replacing any running one. */
  private startEtcdWatch(fromRev: number, prevKv: boolean): void {
    this.etcdWatcher?.cancel();
    const w = this.storage.client.watch(
      { key: Buffer.from(this.prefix), range_end: Buffer.from(prefixEnd(this.prefix)), start_revision: String(fromRev), prev_kv: prevKv },
      (res) => {
        if (this.etcdWatcher !== w) return;
        this.watchFailures = 0;
        this.onEtcdEvents(res);
      },
      (err) => {
        if (this.etcdWatcher !== w) return;
        this.etcdWatcher = undefined;
        this.onEtcdWatchError(err);
      },
    );
    this.etcdWatcher = w;
  }

  private onEtcdEvents(res: WatchResponse): void {
    for (const ev of res.events ?? []) {
      const kv = ev.kv!;
      const rev = Number(kv.mod_revision);
      // Replayed after a restart. (One revision can hold several events, a lease's expiry
      // deletes all its keys at once, but etcd sends them in one response, never split.)
      if (rev < this.lastWindowRev) continue;
      const key = kv.key!.toString();
      if (key === this.markerKey) {
        if (ev.type !== Event_EventType.DELETE && this.markerWaiter && kv.value?.toString() === this.markerWaiter.token) this.markerWaiter.resolve();
        // A marker write is a point in etcd's history that the cache has now reached.
        if (rev > this.rev && this.state === State.Ready) this.advance(rev);
        continue;
      }
      const deleted = ev.type === Event_EventType.DELETE;
      if (rev <= this.listRev) {
        // History from before our list: the window only; items already reflect it.
        if (!deleted) {
          const created = kv.create_revision === kv.mod_revision;
          const prev = ev.prev_kv ? this.prepared(decodeRaw(ev.prev_kv)) : undefined;
          this.pushWindow({ type: created ? 'ADDED' : 'MODIFIED', key, obj: this.prepared(decodeRaw(kv)), prev, rev });
        } else if (ev.prev_kv) {
          const prev = this.prepared(decodeRaw(ev.prev_kv));
          this.pushWindow({ type: 'DELETED', key, obj: prev.atRevision(rev), prev, rev });
        }
        continue;
      }
      if (!deleted) {
        const cur = this.fromExpected(key, kv) ?? this.prepared(decodeRaw(kv));
        const prev = this.items.get(key);
        this.items.set(key, cur);
        this.apply({ type: prev ? 'MODIFIED' : 'ADDED', key, obj: cur, prev, rev });
      } else {
        const prev = this.items.get(key) ?? (ev.prev_kv ? this.prepared(decodeRaw(ev.prev_kv)) : undefined);
        this.items.delete(key);
        if (!prev) continue;
        this.apply({ type: 'DELETED', key, obj: prev.atRevision(rev), prev, rev });
      }
    }
    // A progress notification (no events, not the creation answer, whose header is etcd's
    // revision when the watch began, not what it has delivered) moves the cache forward.
    const headerRev = Number(res.header?.revision ?? 0);
    if (!res.events?.length && !res.created && headerRev > this.rev) this.advance(headerRev);
  }

  /**
   * The etcd watch ended. A broken connection resumes right after the last applied revision
   * (on another endpoint if there is one), so watchers notice nothing; only compaction past
   * that point forces a relist, which watchers cannot be carried across.
   */
  private onEtcdWatchError(err: EtcdError): void {
    if (this.state === State.Stopped) return;
    if (!(err instanceof EtcdCompactedError)) {
      const delay = Math.min(2000, 50 * 2 ** this.watchFailures++);
      log.warn('etcd watch ended; resuming', { prefix: this.prefix, afterRevision: this.rev, retryInMs: delay, err: err.message });
      setTimeout(() => {
        if (this.state === State.Stopped || this.etcdWatcher) return;
        // Cut off during the backfill: go on with it (previous values still needed).
        if (this.lastWindowRev < this.listRev) this.startEtcdWatch(this.lastWindowRev + 1, true);
        else this.startEtcdWatch(this.rev + 1, false);
      }, delay).unref();
      return;
    }
    log.warn('etcd watch start revision compacted; relisting', { prefix: this.prefix, err: err.message });
    // History compacted by someone else: start the window afresh at the new list.
    this.skipBackfill = true;
    for (const cw of this.watchers) cw.sink.close(new Error('watch cache relisting'));
    this.watchers.clear();
    void this.relist();
  }

  private advance(rev: number): void {
    this.rev = rev;
    if (this.waiters.length) {
      const due = this.waiters.filter((w) => w.rev <= rev);
      this.waiters = this.waiters.filter((w) => w.rev > rev);
      for (const w of due) w.resolve();
    }
  }

  private pushWindow(ev: CacheEvent): void {
    this.window.push(ev);
    this.lastWindowRev = ev.rev;
    if (this.window.length - this.windowStart > this.capacity) {
      const dropped = this.window[this.windowStart]!;
      this.oldestRev = dropped.rev;
      this.windowStart++;
      if (this.windowStart > 4096) {
        this.window = this.window.slice(this.windowStart);
        this.windowStart = 0;
      }
    }
  }

  private apply(ev: CacheEvent): void {
    this.pushWindow(ev);
    for (const w of this.watchers) dispatch(w, ev);
    this.advance(ev.rev);
  }

  /**
   * A linearizable point for a consistent read from the cache (what kube-apiserver 1.31 does with
   * etcd's progress requests): a write of the marker key, started after the call, gets a revision
   * after every write committed before it; once the watch delivers it, the cache reflects all of
   * them. Concurrent callers share one marker write, but never one that began before they asked.
   * False if the cache did not get there in time (the caller then reads etcd).
   */
  syncToLatest(timeoutMs = 3000): Promise<boolean> {
    if (!this.nextSync) {
      const mine: Promise<boolean> = (this.activeSync ?? Promise.resolve(true))
        .catch(() => false)
        .then(async () => {
          this.nextSync = undefined;
          this.activeSync = mine;
          await this.ready;
          // (an etcd failure here sends the caller to etcd, which reports it as a storage error)
          const rev = await this.storage.put(this.markerKey, 'sync').catch(() => undefined);
          return rev ? this.waitFor(rev, timeoutMs, false) : false;
        });
      this.nextSync = mine;
    }
    return this.nextSync;
  }

  /**
   * Resolves once the cache has seen revision `rev` (or times out). The revision may be another
   * resource's (a client's resourceVersion from a different list): this cache sees no event at
   * it, and would wait for its own next write. So, as the cacher asks etcd for a progress
   * notification while it waits (waitUntilFreshAndBlock), a cache that has not got there after
   * a moment syncs to etcd's latest revision, when etcd has reached `rev` at all: a
   * resourceVersion from the future still waits, and times out.
   */
  async waitFor(rev: number, timeoutMs = 3000, requestProgress = true): Promise<boolean> {
    await this.ready;
    if (this.rev >= rev) return true;
    const progress = requestProgress ? setTimeout(() => void this.progressTo(rev), PROGRESS_AFTER_MS) : undefined;
    return new Promise((resolve) => {
      const waiter = { rev, resolve: () => { clearTimeout(timer); clearTimeout(progress); resolve(true); } };
      const timer = setTimeout(() => {
        clearTimeout(progress);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Brings the cache to etcd's latest revision if that is `rev` or later (see waitFor). */
  private async progressTo(rev: number): Promise<void> {
    if (this.rev >= rev || this.state !== State.Ready) return;
    const latest = await this.storage.currentRevision().catch(() => 0);
    if (latest >= rev && this.rev < rev) await this.syncToLatest();
  }

  /** How many objects the cache holds (apiserver_storage_objects). */
  get size(): number {
    return this.items.size;
  }

  /** Whether the cache holds the resource's objects (it may still be behind etcd). */
  get isReady(): boolean {
    return this.state === State.Ready;
  }

  /** The cached object at `key`, if any: possibly behind etcd, so only a hint for a write. */
  peek(key: string): RawObject | undefined {
    return this.state === State.Ready ? this.items.get(key) : undefined;
  }

  /** A snapshot of current objects matching the filter, and the revision it reflects. */
  list(filter: WatchFilter): { items: RawObject[]; keys: string[]; rev: number } {
    if (filter.exactKey) {
      const v = this.items.get(filter.exactKey);
      return v && filter.matches(this.sel(v)) ? { items: [v], keys: [filter.exactKey], rev: this.rev } : { items: [], keys: [], rev: this.rev };
    }
    const keys: string[] = [];
    for (const [key, v] of this.items) if (key.startsWith(filter.keyPrefix) && filter.matches(this.sel(v))) keys.push(key);
    keys.sort();
    return { items: keys.map((k) => this.items.get(k)!), keys, rev: this.rev };
  }

  /**
   * A write this apiserver is about to make: its labels and fields are known already, so its
   * watch event (recognised by key and stored bytes) need not be parsed to file it. The hint
   * stays after the write is answered, since etcd may deliver the event later than the answer.
   */
  expectWrite(key: string, data: string, obj: KubeObject): void {
    if (this.state !== State.Ready) return;
    const now = Date.now();
    if (now - this.expectedSince > hintGenerationMs) {
      this.expectedOld = this.expected;
      this.expected = new Map();
      this.expectedSince = now;
    }
    this.expected.set(key, { data, select: { labels: { ...obj.metadata?.labels }, fields: this.fieldsOf(obj) } });
  }

  private fromExpected(key: string, kv: KeyValue): RawObject | undefined {
    let from = this.expected;
    let e = from.get(key);
    if (!e) e = (from = this.expectedOld).get(key);
    if (!e) return undefined;
    const value = kv.value!.toString();
    if (value !== e.data) return undefined;
    from.delete(key);
    const rev = Number(kv.mod_revision);
    return new RawObject(withResourceVersion(value, rev), rev, e.select);
  }

  /** Parses an object's labels and fields once, then keeps only its JSON. */
  private prepared(raw: RawObject): RawObject {
    raw.selectable(this.fieldsOf);
    return raw.compact();
  }

  private sel(raw: RawObject): Selectable {
    return raw.selectable(this.fieldsOf);
  }

  private keyOfRaw(raw: RawObject): string {
    this.prepared(raw);
    const f = raw.selectable(this.fieldsOf).fields;
    const ns = f['metadata.namespace'];
    return ns ? `${this.prefix}${ns}/${f['metadata.name']}` : `${this.prefix}${f['metadata.name']}`;
  }

  /**
   * Starts a watch. fromRev undefined/0: synthetic ADDED for every current object, then changes.
   * fromRev > 0: every change after fromRev (410 if the window no longer reaches back that far).
   */
  watch(fromRev: number | undefined, filter: WatchFilter, sink: WatchSink): () => void {
    if (this.state !== State.Ready) throw new Error('watch cache is not ready');
    if (fromRev !== undefined && fromRev > 0 && fromRev < this.oldestRev) throw new TooOldError(fromRev, this.oldestRev);
    const cw: CacheWatcher = { filter, sink, minRev: fromRev ?? 0 };
    if (!fromRev) {
      for (const obj of this.list(filter).items) sink.send('ADDED', obj);
      cw.minRev = this.rev;
    } else {
      for (let i = this.windowStart; i < this.window.length; i++) {
        const ev = this.window[i]!;
        if (ev.rev > fromRev) dispatch(cw, ev);
      }
    }
    this.watchers.add(cw);
    return () => this.watchers.delete(cw);
  }

  /**
   * Deletes the consistent-read marker: for a resource no longer served (its CRD deleted), so that
   * nothing of it is left under its prefix in etcd.
   */
  async removeMarker(): Promise<void> {
    await this.storage.remove(this.markerKey);
  }

  async stop(): Promise<void> {
    this.state = State.Stopped;
    for (const w of this.watchers) w.sink.close();
    this.watchers.clear();
    this.etcdWatcher?.cancel();
    this.etcdWatcher = undefined;
  }
}

function dispatch(w: CacheWatcher, ev: CacheEvent): void {
  if (ev.rev <= w.minRev) return;
  const f = w.filter;
  if (f.exactKey ? ev.key !== f.exactKey : !ev.key.startsWith(f.keyPrefix)) return;
  const now = f.matches(ev.obj.selectable(noFields));
  const before = ev.prev ? f.matches(ev.prev.selectable(noFields)) : false;
  if (ev.type === 'DELETED') {
    if (before) w.sink.send('DELETED', ev.obj);
    return;
  }
  if (now && before) w.sink.send('MODIFIED', ev.obj);
  else if (now) w.sink.send('ADDED', ev.obj);
  else if (before) w.sink.send('DELETED', ev.obj);
}

/** Cached objects were prepared on entry, so their selectables exist already. */
const noFields = (): Record<string, string> => ({});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
