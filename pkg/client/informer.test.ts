import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.js';
import type { ApiClient, ListResult, WatchEvent, WatchHandle } from './api-client.js';
import { Informer } from './informer.js';
import { Pods } from './rest-client.js';

const withFields = (name: string, rv: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', resourceVersion: rv, managedFields: [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }] },
});

/** A fake ApiClient: one list, then a watch that delivers `events` and stays open until stopped. */
function fakeClient(items: KubeObject[], events: WatchEvent[]): ApiClient {
  const notUsed = () => Promise.reject(new Error('not used'));
  return {
    list: async <T>() => ({ items, metadata: { resourceVersion: '10' } }) as unknown as ListResult<T>,
    watch: async <T>(_r: unknown, _n: unknown, _q: unknown, onEvent: (e: WatchEvent<T>) => void): Promise<WatchHandle> => {
      let stop!: () => void;
      const done = new Promise<void>((r) => (stop = r));
      queueMicrotask(() => events.forEach((e) => onEvent(e as unknown as WatchEvent<T>)));
      return { done, stop };
    },
    get: notUsed,
    create: notUsed,
    update: notUsed,
    patch: notUsed,
    delete: notUsed,
    bind: notUsed,
    createSubresource: notUsed,
    evict: notUsed,
    close: () => {},
  };
}

describe('informer', () => {
  it('drops managedFields from what it caches, unless asked to keep them', async () => {
    const events: WatchEvent[] = [{ type: 'ADDED', object: withFields('b', '11') }];
    const inf = new Informer(fakeClient([withFields('a', '9')], events), Pods).start();
    await inf.hasSynced();
    await new Promise((r) => setTimeout(r, 10));
    expect(inf.list().map((o) => o.metadata?.name).sort()).toEqual(['a', 'b']);
    for (const o of inf.list()) expect(o.metadata?.managedFields).toBeUndefined();
    expect(inf.resourceVersion).toBe('11');
    inf.stop();

    const keep = new Informer(fakeClient([withFields('a', '9')], []), Pods, { keepManagedFields: true }).start();
    await keep.hasSynced();
    expect(keep.get('default/a')?.metadata?.managedFields).toHaveLength(1);
    keep.stop();
  });
});

describe('informer after an ERROR event', () => {
  it('relists when its watch ends with a 410 Status event (a resourceVersion too old), then watches from the new list', async () => {
    const lists: string[] = [];
    const watchedFrom: string[] = [];
    let listRv = 10;
    const client = {
      ...fakeClient([], []),
      list: async <T>() => {
        lists.push(String(listRv));
        return { items: [withFields(`p${listRv}`, String(listRv))], metadata: { resourceVersion: String(listRv++) } } as unknown as ListResult<T>;
      },
      watch: async <T>(_r: unknown, _n: unknown, q: { resourceVersion?: string }, onEvent: (e: WatchEvent<T>) => void): Promise<WatchHandle> => {
        watchedFrom.push(q.resourceVersion ?? '');
        let stop!: () => void;
        const done = new Promise<void>((r) => (stop = r));
        if (watchedFrom.length === 1) {
          // As the apiserver's cache answers a resume from too far back: 200, one ERROR event, the end.
          const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version: 10 (15)', reason: 'Expired', code: 410 };
          queueMicrotask(() => {
            onEvent({ type: 'ERROR', object: status } as unknown as WatchEvent<T>);
            stop();
          });
        }
        return { done, stop };
      },
    } as ApiClient;
    const inf = new Informer(client, Pods).start();
    await inf.hasSynced();
    for (let i = 0; i < 100 && watchedFrom.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    inf.stop();
    expect(lists).toEqual(['10', '11']);
    expect(inf.relists).toBe(2);
    expect(watchedFrom).toEqual(['10', '11']);
    expect(inf.list().map((o) => o.metadata?.name)).toEqual(['p11']);
  });
});

describe('informer stopped while it lists', () => {
  it('delivers nothing from the list that comes back after stop() and never counts as synced', async () => {
    let answer!: () => void;
    const answered = new Promise<void>((r) => (answer = r));
    const client = {
      ...fakeClient([], []),
      list: async <T>() => {
        await answered;
        return { items: [withFields('a', '9')], metadata: { resourceVersion: '10' } } as unknown as ListResult<T>;
      },
    };
    const added: string[] = [];
    const inf = new Informer(client, Pods).on({ add: (o) => added.push(o.metadata!.name!) }).start();
    let synced = false;
    void inf.hasSynced().then(() => (synced = true));
    inf.stop(); // (a controller manager that lost its lease while listing)
    answer();
    await new Promise((r) => setTimeout(r, 20));
    expect(added).toEqual([]);
    expect(synced).toBe(false);
    expect(inf.list()).toEqual([]);
  });
});
