// Revision history of DaemonSets and StatefulSets: what a new ControllerRevision holds.
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../client/api-client.js';
import type { Informer } from '../client/informer.js';
import { newRevision, syncHistory, templateOf, type CR, type HistoryOwner } from './controller-history.js';

const owner = (annotations?: Record<string, string>): HistoryOwner => ({
  kind: 'StatefulSet',
  obj: {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'ns', uid: 'set-uid', ...(annotations ? { annotations } : {}) },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
  },
});

describe('newRevision', () => {
  it("copies the owner's annotations, so kubectl rollout history shows the change-cause", () => {
    const cr = newRevision(owner({ 'kubernetes.io/change-cause': 'kubectl set image sts/web c=v2' }), 'web-abc', 'abc', 2);
    expect(cr.metadata?.annotations).toEqual({ 'kubernetes.io/change-cause': 'kubectl set image sts/web c=v2' });
    expect(cr.metadata?.labels).toEqual({ app: 'web', 'controller-revision-hash': 'abc' });
    expect(cr.metadata?.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'set-uid', controller: true, blockOwnerDeletion: true }]);
    expect(cr.revision).toBe(2);
    expect(templateOf(cr)).toEqual({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  });

  it('has no annotations when the owner has none', () => {
    expect(newRevision(owner(), 'web-abc', 'abc', 1).metadata).not.toHaveProperty('annotations');
    expect(newRevision(owner({}), 'web-abc', 'abc', 1).metadata).not.toHaveProperty('annotations');
  });

  it('keeps its own copy of the annotations', () => {
    const o = owner({ a: '1' });
    const cr = newRevision(o, 'web-abc', 'abc', 1);
    o.obj.metadata!.annotations!.a = '2';
    expect(cr.metadata?.annotations).toEqual({ a: '1' });
  });
});

describe('syncHistory', () => {
  it("takes a revision of the same template spelled with Go's omitempty empties for the template's own: no new revision", async () => {
    const o = owner();
    // (stored before the apiserver dropped a template's name: "" and annotations: {})
    const old = newRevision(o, 'web-oldhash', 'oldhash', 1);
    (old.data as { spec: { template: { metadata: Record<string, unknown> } } }).spec.template.metadata = { name: '', annotations: {}, labels: { app: 'web' } };
    old.metadata!.uid = 'rev-uid';
    const calls: string[] = [];
    const client = {
      async create(_r: unknown, _ns: unknown, obj: CR) {
        calls.push(`create ${obj.metadata?.name}`);
        return obj;
      },
      async patch(_r: unknown, _ns: unknown, name: string) {
        calls.push(`patch ${name}`);
        return old;
      },
      async delete(_r: unknown, _ns: unknown, name: string) {
        calls.push(`delete ${name}`);
      },
    } as unknown as ApiClient;
    const revisions = { list: () => [old] } as unknown as Informer<CR>;
    const h = await syncHistory(client, revisions, o, () => true);
    expect(calls).toEqual([]);
    expect(h.hash).toBe('oldhash');
    expect(h.update).toBe(old);
  });
});
