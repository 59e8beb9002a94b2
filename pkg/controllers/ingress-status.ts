// The ingress status controller: the one writer of status.loadBalancer.ingress for Ingresses served
// by the node agents' ingress controller (class controller tskube.io/ingress). Each agent records on
// its own Node where its proxy really listens (the `ingress.tskube.io/addresses` annotation: none when
// its ports were taken or it runs no ingress controller); this controller publishes the addresses of
// the Ready nodes, sorted, so `kubectl get ing` shows them in ADDRESS. It runs in the controller
// manager, leader-elected, rather than in an agent: one writer whatever the number of nodes, which
// sees every node's health (a node gone NotReady leaves the list) and needs no new right for nodes.
// Ingresses of other controllers' classes are left alone.
import { NODE_INGRESS_ADDRESSES, servedBy, TSKUBE_INGRESS_CONTROLLER } from '../api/ingress-class.js';
import { isValidIP } from '../api/names.js';
import type { Ingress, IngressClass, IngressLoadBalancerIngress, KubeObject, Node } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { keyOf, type Informer } from '../client/informer.js';
import { Ingresses } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { updateStatus } from './status-update.js';
import { WorkQueue } from './work-queue.js';
import { isNodeReady, onNodeSignatureChange } from './node-watch.js';

const log = logger('ingress-status-controller');

type I = Ingress & KubeObject;
type C = IngressClass & KubeObject;
type N = Node & KubeObject;

export interface IngressStatusInformers {
  ingresses: Informer<I>;
  classes: Informer<C>;
  nodes: Informer<N>;
}


/** The addresses the Ready nodes' ingress controllers listen on, as status entries (IPs sorted, then host names). */
export function ingressAddresses(nodes: readonly Node[]): IngressLoadBalancerIngress[] {
  const all = new Set<string>();
  for (const n of nodes) {
    if (!isNodeReady(n)) continue;
    for (const a of (n.metadata?.annotations?.[NODE_INGRESS_ADDRESSES] ?? '').split(',')) if (a.trim()) all.add(a.trim());
  }
  return [...all].sort().map((a) => (isValidIP(a) ? { ip: a } : { hostname: a }));
}

/** What a node contributes, to tell whether a node event changes the addresses. */
const nodeSignature = (n: Node | undefined) => (n && isNodeReady(n) ? (n.metadata?.annotations?.[NODE_INGRESS_ADDRESSES] ?? '') : '');

export class IngressStatusController {
  readonly queue: WorkQueue;

  constructor(private readonly client: ApiClient, private readonly inf: IngressStatusInformers) {
    this.queue = new WorkQueue('ingress-status', (key) => this.sync(key));
    inf.ingresses.on({ add: (i) => this.queue.add(keyOf(i)), update: (i) => this.queue.add(keyOf(i)), delete: () => {} });
    inf.classes.on({ add: () => this.enqueueAll(), update: () => this.enqueueAll(), delete: () => this.enqueueAll() });
    onNodeSignatureChange(inf.nodes, nodeSignature, () => this.enqueueAll());
  }

  start(): void {
    this.enqueueAll();
  }

  stop(): void {
    this.queue.stop();
  }

  private enqueueAll(): void {
    for (const i of this.inf.ingresses.list()) this.queue.add(keyOf(i));
  }

  async sync(key: string): Promise<void> {
    const ing = this.inf.ingresses.get(key);
    if (!ing || ing.metadata?.deletionTimestamp) return;
    const classes = new Map(this.inf.classes.list().map((c) => [c.metadata?.name ?? '', c]));
    if (!servedBy(ing, classes, TSKUBE_INGRESS_CONTROLLER)) return;
    const want = ingressAddresses(this.inf.nodes.list());
    const have = ing.status?.loadBalancer?.ingress ?? [];
    if (JSON.stringify(have) === JSON.stringify(want)) return;
    await updateStatus(this.client, Ingresses, ing, { ...ing.status, loadBalancer: want.length ? { ingress: want } : {} });
    log.info('ingress status updated', { ingress: key, addresses: want.map((a) => a.ip ?? a.hostname) });
  }
}
