// The TTL controller (kube-controller-manager's "ttl"): every Node carries the annotation
// node.alpha.kubernetes.io/ttl, the seconds a kubelet may cache the secrets and configmaps its
// pods use, chosen by the cluster's size: 0 up to 100 nodes, then 15, 30, 60, 300 and 600 s,
// with overlapping boundaries so that a cluster near one does not flap. kubectl describe node
// shows it under Annotations (node.alpha.kubernetes.io/ttl: 0 on every small cluster).
import type { KubeObject } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { Informer } from '../client/informer.js';
import { isNotFound, Nodes } from '../client/rest-client.js';
import { logger } from '../util/log.js';

const log = logger('ttl');

/** v1.ObjectTTLAnnotationKey. */
export const TTL_ANNOTATION = 'node.alpha.kubernetes.io/ttl';

/** ttlBoundaries: a step is entered above its predecessor's sizeMax and left below its own sizeMin. */
const BOUNDARIES = [
  { sizeMin: 0, sizeMax: 100, ttlSeconds: 0 },
  { sizeMin: 90, sizeMax: 500, ttlSeconds: 15 },
  { sizeMin: 450, sizeMax: 1000, ttlSeconds: 30 },
  { sizeMin: 900, sizeMax: 2000, ttlSeconds: 60 },
  { sizeMin: 1800, sizeMax: 10000, ttlSeconds: 300 },
  { sizeMin: 9000, sizeMax: 2 ** 31 - 1, ttlSeconds: 600 },
];

/** The boundary step after a node is added (+1) or deleted (-1) to a cluster now of `count` nodes (addNode, deleteNode). */
export function ttlStep(step: number, count: number, change: 1 | -1): number {
  if (change > 0 && count > BOUNDARIES[step]!.sizeMax) return step + 1;
  if (change < 0 && count < BOUNDARIES[step]!.sizeMin) return step - 1;
  return step;
}

export const ttlSecondsOf = (step: number) => BOUNDARIES[step]!.ttlSeconds;

export class TTLController {
  private count = 0;
  private step = 0;
  /** Nodes to look at; one pass at a time. */
  private readonly queue = new Set<string>();
  private running = false;
  private stopped = false;

  constructor(private readonly client: ApiClient, private readonly nodes: Informer) {}

  start(): void {
    this.nodes.on({
      add: (n) => {
        this.count++;
        this.step = ttlStep(this.step, this.count, 1);
        this.enqueue(n);
      },
      // (every update is looked at, so that a change of size reaches each node with its next status)
      update: (n) => this.enqueue(n),
      delete: () => {
        this.count--;
        this.step = ttlStep(this.step, this.count, -1);
      },
    });
    for (const n of this.nodes.list()) {
      this.count++;
      this.step = ttlStep(this.step, this.count, 1);
      this.enqueue(n);
    }
  }

  stop(): void {
    this.stopped = true;
  }

  private enqueue(n: KubeObject): void {
    this.queue.add(n.metadata!.name!);
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.size && !this.stopped) {
      const name = this.queue.values().next().value as string;
      this.queue.delete(name);
      await this.sync(name).catch((e) => log.warn('could not set the ttl annotation', { node: name, err: e }));
    }
    this.running = false;
  }

  /** updateNodeIfNeeded: the annotation is patched when it is missing, not a number, or another ttl. */
  private async sync(name: string): Promise<void> {
    const node = this.nodes.get(name);
    if (!node) return;
    const want = ttlSecondsOf(this.step);
    const have = node.metadata?.annotations?.[TTL_ANNOTATION];
    if (have !== undefined && /^[+-]?\d+$/.test(have) && Number(have) === want) return;
    try {
      await this.client.patch(Nodes, undefined, name, { metadata: { annotations: { [TTL_ANNOTATION]: String(want) } } }, 'strategic');
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
