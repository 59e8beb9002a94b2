// An informer: list, then watch from the list's resourceVersion, keeping a local cache and
// calling handlers; on a dropped stream it resumes from the last resourceVersion seen, and on
// 410 Gone it relists (client-go's reflector, in small).
import type { KubeObject } from '../api/types.js';
import { logger } from '../util/log.js';
import type { ApiClient } from './api-client.js';
import { StatusError, type ResourceRef, type WatchHandle } from './rest-client.js';

const log = logger('informer');

export interface InformerHandlers<T> {
  add?(obj: T): void;
  update?(obj: T, old: T): void;
  delete?(obj: T): void;
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Called after each (re)list with the full set, e.g. to resync. */
  onList?: () => void;
  /** Keep metadata.managedFields in the cache (dropped by default, as kube-scheduler's informers do: nobody reads them and they weigh). */
  keepManagedFields?: boolean;
}

export const keyOf = (o: KubeObject) => (o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : `${o.metadata?.name}`);

enum State {
  Idle,
  Running,
  Stopped,
}

/** Invariant: `rv` is the newest resourceVersion applied to `items`. */
export class Informer<T extends KubeObject = KubeObject> {
  private items = new Map<string, T>();
  private rv = '';
  private state = State.Idle;
  private watch: WatchHandle | undefined;
  private handlers: InformerHandlers<T>[] = [];
  private synced!: Promise<void>;
  private markSynced!: () => void;
  /** Counts relists, for tests and metrics. */
  relists = 0;

  constructor(private readonly client: ApiClient, private readonly ref: ResourceRef, private readonly opts: InformerOptions = {}) {
    this.synced = new Promise((r) => (this.markSynced = r));
  }

  on(h: InformerHandlers<T>): this {
    this.handlers.push(h);
    return this;
  }

  list(): T[] {
    return [...this.items.values()];
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  get resourceVersion(): string {
    return this.rv;
  }

  hasSynced(): Promise<void> {
    return this.synced;
  }

  start(): this {
    if (this.state !== State.Idle) return this;
    this.state = State.Running;
    void this.run();
    return this;
  }

  stop(): void {
    this.state = State.Stopped;
    this.watch?.stop();
  }

  private async run(): Promise<void> {
    let backoff = 200;
    let needList = true;
    while (this.state === State.Running) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        await this.watchOnce();
        backoff = 200;
      } catch (e) {
        if (this.state !== State.Running) return;
        if (e instanceof StatusError && e.code === 410) {
          log.info('resourceVersion too old; relisting', { resource: this.ref.resource, rv: this.rv });
          needList = true;
          continue;
        }
        log.warn('list/watch failed; retrying', { resource: this.ref.resource, err: e, backoffMs: backoff });
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  private async relist(): Promise<void> {
    const res = await this.client.list<T>(this.ref, this.opts.namespace, { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector });
    // Stopped while listing: the list is not delivered, and the informer never counts as synced
    // (client-go's WaitForCacheSync answers false once stopped), so nobody acts on it.
    if (this.state !== State.Running) return;
    this.relists++;
    for (const o of res.items) this.trim(o);
    const next = new Map(res.items.map((o) => [keyOf(o), o]));
    const old = this.items;
    this.items = next;
    this.rv = res.metadata.resourceVersion ?? '';
    for (const [k, o] of next) {
      const prev = old.get(k);
      if (!prev) this.emit('add', o);
      else if (prev.metadata?.resourceVersion !== o.metadata?.resourceVersion) this.emit('update', o, prev);
    }
    for (const [k, o] of old) if (!next.has(k)) this.emit('delete', o);
    this.markSynced();
    this.opts.onList?.();
  }

  private async watchOnce(): Promise<void> {
    let gone = false;
    this.watch = await this.client.watch<T>(
      this.ref,
      this.opts.namespace,
      { resourceVersion: this.rv, labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector, allowWatchBookmarks: true, timeoutSeconds: 300 + Math.floor(Math.random() * 300) },
      (ev) => {
        if (ev.type === 'ERROR') {
          const code = (ev.object as unknown as { code?: number }).code;
          if (code === 410) gone = true;
          this.watch?.stop();
          return;
        }
        const rv = ev.object.metadata?.resourceVersion;
        if (ev.type === 'BOOKMARK') {
          if (rv) this.rv = rv;
          return;
        }
        this.trim(ev.object);
        const k = keyOf(ev.object);
        const prev = this.items.get(k);
        if (ev.type === 'DELETED') {
          this.items.delete(k);
          this.emit('delete', ev.object);
        } else {
          this.items.set(k, ev.object);
          if (prev) this.emit('update', ev.object, prev);
          else this.emit('add', ev.object);
        }
        if (rv) this.rv = rv;
      },
    );
    if (this.state !== State.Running) this.watch.stop();
    await this.watch.done;
    if (gone) throw new StatusError(410, undefined, 'too old resource version');
  }

  private trim(o: T): void {
    if (!this.opts.keepManagedFields && o.metadata?.managedFields) delete o.metadata.managedFields;
  }

  private emit(kind: 'add' | 'update' | 'delete', obj: T, old?: T): void {
    if (this.state !== State.Running) return; // (a stopped informer's handlers hear nothing more)
    for (const h of this.handlers) {
      try {
        if (kind === 'add') h.add?.(obj);
        else if (kind === 'update') h.update?.(obj, old!);
        else h.delete?.(obj);
      } catch (e) {
        log.error('informer handler failed', { resource: this.ref.resource, err: e instanceof Error ? e.stack : String(e) });
      }
    }
  }
}
