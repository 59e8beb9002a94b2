import { describe, expect, it } from 'vitest';
import type { KubeObject, PersistentVolumeClaim, Pod } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { EventSink } from '../client/event-sink.js';
import type { Informer } from '../client/informer.js';
import { StatusError } from '../client/rest-client.js';
import { StaticInformer } from '../../test/helpers/fake-informer.js';
import { EphemeralVolumeController } from './ephemeral-volume.js';

type P = Pod & KubeObject;
type PVC = PersistentVolumeClaim & KubeObject;

const template = { metadata: { labels: { type: 'scratch' }, annotations: { note: 'x' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
const pod = (name: string, deleting = false): P => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid: `uid-${name}`, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
  spec: { containers: [], volumes: [{ name: 'scratch', ephemeral: { volumeClaimTemplate: template } }, { name: 'tmp', emptyDir: {} }] },
});

function setup(pods: P[], claims: PVC[] = [], conflict = false) {
  const created: PVC[] = [];
  const client = {
    async create(_ref: unknown, _ns: string, obj: PVC) {
      if (conflict) throw new StatusError(409, { kind: 'Status', status: 'Failure', reason: 'AlreadyExists', code: 409 }, 'exists');
      created.push(obj);
      return obj;
    },
  } as unknown as ApiClient;
  const c = new EphemeralVolumeController(client, { pods: new StaticInformer(pods) as unknown as Informer<P>, claims: new StaticInformer(claims) as unknown as Informer<PVC> }, new EventSink());
  return { c, created };
}

describe('EphemeralVolumeController', () => {
  it('makes <pod>-<volume> from the template, owned by the pod as its controller', async () => {
    const { c, created } = setup([pod('web')]);
    await c.sync('default/web');
    expect(created).toEqual([
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'web-scratch', namespace: 'default', labels: { type: 'scratch' }, annotations: { note: 'x' }, ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'uid-web', controller: true, blockOwnerDeletion: true }] },
        spec: template.spec,
      },
    ]);
    // (a copy: the pod's template is not shared with the claim)
    expect(created[0]!.spec).not.toBe(template.spec);
  });

  it('leaves an existing claim of that name alone, and a pod being deleted without one', async () => {
    const existing: PVC = { metadata: { name: 'web-scratch', namespace: 'default' } };
    const { c, created } = setup([pod('web'), pod('gone', true)], [existing]);
    await c.sync('default/web');
    await c.sync('default/gone');
    await c.sync('default/missing');
    expect(created).toEqual([]);
  });

  it('takes a conflict (made in between) as done', async () => {
    const { c } = setup([pod('web')], [], true);
    await expect(c.sync('default/web')).resolves.toBeUndefined();
  });

  it('makes a claim again when the one of its name is deleted (its own, or a user\'s that held the name)', async () => {
    let onDelete: ((c: PVC) => void) | undefined;
    const claims = { on: (h: { delete?: (c: PVC) => void }) => ((onDelete = h.delete), claims), list: () => [], get: () => undefined };
    const c = new EphemeralVolumeController({} as ApiClient, { pods: new StaticInformer([pod('web'), pod('other')]) as unknown as Informer<P>, claims: claims as unknown as Informer<PVC> }, new EventSink());
    const queued: string[] = [];
    (c.queue as unknown as { add: (k: string) => void }).add = (k) => void queued.push(k);
    onDelete!({ metadata: { name: 'web-scratch', namespace: 'default' } });
    onDelete!({ metadata: { name: 'web-scratch', namespace: 'elsewhere' } });
    expect(queued).toEqual(['default/web']);
    c.stop();
  });
});
