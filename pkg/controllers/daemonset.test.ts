// The DaemonSet controller's sync against fake informers and a recording fake client: nothing is
// deleted before the nodes have listed (a restarted controller manager must not take every
// daemon pod for one on a vanished node), unbound pods for deleted nodes go, a new node gets a pod.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.js';
import type { ApiClient, ResourceRef } from '../client/api-client.js';
import { EventSink } from '../client/event-sink.js';
import { keyOf, type InformerHandlers } from '../client/informer.js';
import { DaemonSetController, type DaemonSetInformers } from './daemonset.js';

class FakeInformer {
  readonly items = new Map<string, KubeObject>();
  private listed!: () => void;
  private readonly synced = new Promise<void>((r) => (this.listed = r));
  constructor(objs: KubeObject[] = [], listed = true) {
    for (const o of objs) this.items.set(keyOf(o), o);
    if (listed) this.listed();
  }
  on(_h: InformerHandlers<KubeObject>): void {}
  list(): KubeObject[] {
    return [...this.items.values()];
  }
  get(k: string): KubeObject | undefined {
    return this.items.get(k);
  }
  hasSynced(): Promise<void> {
    return this.synced;
  }
  markListed(): void {
    this.listed();
  }
}

function recordingClient(calls: string[]): ApiClient {
  return {
    async create(ref: ResourceRef, ns: string | undefined, obj: unknown) {
      const o = obj as KubeObject;
      calls.push(`create ${ref.resource} ${o.metadata?.name ?? o.metadata?.generateName}`);
      return { ...o, metadata: { ...o.metadata, namespace: ns, uid: `uid-${calls.length}`, name: o.metadata?.name ?? `${o.metadata?.generateName}x` } } as never;
    },
    async delete(ref: ResourceRef, _ns: string | undefined, name: string) {
      calls.push(`delete ${ref.resource} ${name}`);
      return {} as never;
    },
    async update(ref: ResourceRef, _ns: string | undefined, name: string, obj: unknown, sub?: string) {
      calls.push(`update ${ref.resource}/${sub ?? ''} ${name}`);
      return obj as never;
    },
    async patch(ref: ResourceRef, _ns: string | undefined, name: string) {
      calls.push(`patch ${ref.resource} ${name}`);
      return {} as never;
    },
  } as unknown as ApiClient;
}

const ds = { metadata: { name: 'agent', namespace: 'd', uid: 'ds-uid', generation: 1 }, spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }, updateStrategy: { type: 'OnDelete' } } } as KubeObject;
const owner = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-uid', controller: true }];
const pod = (name: string, node: string) => ({ metadata: { name, namespace: 'd', uid: `uid-${name}`, labels: { app: 'agent' }, ownerReferences: owner }, spec: { nodeName: node }, status: { phase: 'Running' } }) as KubeObject;
const node = (name: string) => ({ metadata: { name } }) as KubeObject;

function controller(nodes: FakeInformer, pods: KubeObject[], calls: string[]): DaemonSetController {
  const informers = { daemonsets: new FakeInformer([ds]), pods: new FakeInformer(pods), nodes, revisions: new FakeInformer() } as unknown as DaemonSetInformers;
  const c = new DaemonSetController(recordingClient(calls), informers, new EventSink());
  c.stop();
  return c;
}

describe('DaemonSetController.sync', () => {
  it('does nothing before the nodes have listed, then deletes the unbound pod of a vanished node and creates one for a new node', async () => {
    const calls: string[] = [];
    const nodes = new FakeInformer([node('n2')], false);
    // agent-a is bound to the vanished n1: PodGC's to remove (getUnscheduledPodsWithoutNode takes
    // only agent-b, not bound yet).
    const unbound = pod('agent-b', '');
    unbound.spec = { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] } } } };
    const c = controller(nodes, [pod('agent-a', 'n1'), unbound], calls);
    await c.sync('d/agent');
    expect(calls).toEqual([]);
    nodes.markListed();
    await nodes.hasSynced();
    await c.sync('d/agent');
    expect(calls.filter((x) => x.includes(' pods '))).toEqual(['delete pods agent-b', 'create pods agent-']);
    expect(calls.filter((x) => x.startsWith('create controllerrevisions'))).toEqual([expect.stringMatching(/^create controllerrevisions agent-[bcdfghjklmnpqrstvwxz2456789]+$/)]);
    expect(calls.some((x) => x.startsWith('update daemonsets/status'))).toBe(true);
  });
});
