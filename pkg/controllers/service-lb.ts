// The service load-balancer controller (k3s's ServiceLB model: no cloud, the nodes are the load
// balancer). For Services of type LoadBalancer with no spec.loadBalancerClass, or ours
// (tskube.io/svclb), status.loadBalancer.ingress is the InternalIP of every Ready, schedulable node
// not labelled node.kubernetes.io/exclude-from-external-load-balancers, with ipMode VIP; every node
// agent forwards <ingress IP>:<port> to the Service's endpoints. A spec.loadBalancerIP is honoured
// when it is one of those addresses (the status then holds it alone) and refused with a Warning
// event otherwise. Node changes (join, leave, readiness, cordon, address) rewrite the status. A
// Service that stops being ours (type changed) has its ingress cleared. Ours carry the service
// controller's finalizer service.kubernetes.io/load-balancer-cleanup, removed once a deleted
// Service's load balancer is gone. Events are the service
// controller's: EnsuringLoadBalancer, EnsuredLoadBalancer, UpdatedLoadBalancer,
// UnAvailableLoadBalancer, SyncLoadBalancerFailed, DeletingLoadBalancer, DeletedLoadBalancer.
import type { KubeObject, LoadBalancerIngress, Node, Service } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { EventSink } from '../client/event-sink.js';
import { recordEvent } from '../client/events.js';
import { keyOf, type Informer } from '../client/informer.js';
import { isNotFound, Services } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { updateStatus } from './status-update.js';
import { WorkQueue } from './work-queue.js';
import { isNodeReady, onNodeSignatureChange } from './node-watch.js';

const log = logger('service-lb-controller');
const SOURCE = { component: 'service-lb-controller' };

/** Our spec.loadBalancerClass; Services without a class are ours too. */
export const SVCLB_CLASS = 'tskube.io/svclb';
/** The service controller's finalizer on a LoadBalancer Service (servicehelper.LoadBalancerCleanupFinalizer). */
export const LB_CLEANUP_FINALIZER = 'service.kubernetes.io/load-balancer-cleanup';
const hasCleanupFinalizer = (s: Service & KubeObject) => !!s.metadata?.finalizers?.includes(LB_CLEANUP_FINALIZER);
/** Kubernetes' label taking a node out of every external load balancer. */
export const EXCLUDE_LB_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

type S = Service & KubeObject;
type N = Node & KubeObject;

export interface ServiceLBInformers {
  services: Informer<S>;
  nodes: Informer<N>;
}

const internalIP = (n: Node) => n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;

/** Is this Service's load balancer ours (type LoadBalancer, no class or our class)? */
export function isOurLoadBalancer(svc: Service): boolean {
  return svc.spec?.type === 'LoadBalancer' && (!svc.spec.loadBalancerClass || svc.spec.loadBalancerClass === SVCLB_CLASS);
}

/** The node may carry load-balancer traffic: Ready, schedulable, not excluded, with an InternalIP. */
export function isLoadBalancerNode(n: Node): boolean {
  return isNodeReady(n) && !n.spec?.unschedulable && n.metadata?.labels?.[EXCLUDE_LB_LABEL] === undefined && !!internalIP(n);
}

function compareIP(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  if (pa.length !== 4 || pb.length !== 4) return a < b ? -1 : a > b ? 1 : 0;
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

/** The distinct InternalIPs of the nodes that carry load-balancer traffic, sorted. */
export function loadBalancerAddresses(nodes: readonly Node[]): string[] {
  return [...new Set(nodes.filter(isLoadBalancerNode).map((n) => internalIP(n)!))].sort(compareIP);
}

export type LoadBalancerPlan = { ingress: LoadBalancerIngress[]; problem?: { reason: string; message: string } };

/** What status.loadBalancer.ingress should be for an (our) LoadBalancer Service, or why it is empty. */
export function planLoadBalancer(svc: Service, nodes: readonly Node[]): LoadBalancerPlan {
  const addrs = loadBalancerAddresses(nodes);
  if (addrs.length === 0) return { ingress: [], problem: { reason: 'UnAvailableLoadBalancer', message: 'There are no available nodes for LoadBalancer' } };
  const wanted = svc.spec?.loadBalancerIP;
  if (wanted) {
    if (!addrs.includes(wanted)) {
      const message = `Error syncing load balancer: failed to ensure load balancer: spec.loadBalancerIP ${wanted} is not the InternalIP of a Ready, schedulable node (available: ${addrs.join(', ')})`;
      return { ingress: [], problem: { reason: 'SyncLoadBalancerFailed', message } };
    }
    return { ingress: [{ ip: wanted, ipMode: 'VIP' }] };
  }
  return { ingress: addrs.map((ip) => ({ ip, ipMode: 'VIP' })) };
}

/** What a node contributes, to tell whether a node event changes any load balancer. */
const nodeSignature = (n: Node | undefined) => (n && isLoadBalancerNode(n) ? internalIP(n)! : '');

export class ServiceLBController {
  readonly queue: WorkQueue;
  /** The last problem reported per Service, so a resync does not repeat its Warning. */
  private readonly reported = new Map<string, string>();

  constructor(
    private readonly client: ApiClient,
    private readonly inf: ServiceLBInformers,
    private readonly events: EventSink,
  ) {
    this.queue = new WorkQueue('service-lb', (key) => this.sync(key));
    inf.services.on({ add: (s) => this.queue.add(keyOf(s)), update: (s) => this.queue.add(keyOf(s)), delete: (s) => this.reported.delete(keyOf(s)) });
    onNodeSignatureChange(inf.nodes, nodeSignature, () => this.enqueueAll());
  }

  start(): void {
    this.enqueueAll();
  }

  stop(): void {
    this.queue.stop();
  }

  private enqueueAll(): void {
    for (const s of this.inf.services.list()) if (isOurLoadBalancer(s) || s.status?.loadBalancer?.ingress?.length || hasCleanupFinalizer(s)) this.queue.add(keyOf(s));
  }

  /** Writes metadata.finalizers (at the Service's resourceVersion); undefined if it is gone. */
  private async patchFinalizers(svc: S, finalizers: string[]): Promise<S | undefined> {
    const patch = { metadata: { resourceVersion: svc.metadata?.resourceVersion, finalizers: finalizers.length ? finalizers : null } };
    try {
      return await this.client.patch<S>(Services, svc.metadata!.namespace!, svc.metadata!.name!, patch, 'merge');
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private event(svc: S, type: string, reason: string, message: string): void {
    const obj = { ...svc, apiVersion: 'v1', kind: 'Service' };
    this.events.enqueue(() => recordEvent(this.client, obj, SOURCE, type, reason, message));
  }

  async sync(key: string): Promise<void> {
    const svc = this.inf.services.get(key);
    if (!svc) return;
    const have = svc.status?.loadBalancer?.ingress ?? [];
    const ourClass = !svc.spec?.loadBalancerClass || svc.spec.loadBalancerClass === SVCLB_CLASS;
    const deleting = !!svc.metadata?.deletionTimestamp;
    if (deleting || !isOurLoadBalancer(svc)) {
      this.reported.delete(key);
      // The service controller's delete path (syncLoadBalancerIfNeeded when the Service no longer
      // wants a load balancer, or is being deleted with the cleanup finalizer): Deleting while
      // the nodes still carry it, the status emptied, the finalizer removed, then Deleted.
      // Another class's status is not ours.
      const exists = ourClass && have.length > 0 && (deleting || svc.spec?.type !== 'LoadBalancer');
      const finalizer = ourClass && hasCleanupFinalizer(svc);
      if (!exists && !finalizer) return;
      if (exists) this.event(svc, 'Normal', 'DeletingLoadBalancer', 'Deleting load balancer');
      if (exists && !deleting) await updateStatus(this.client, Services, svc, { ...svc.status, loadBalancer: {} });
      if (finalizer) await this.patchFinalizers(svc, (svc.metadata?.finalizers ?? []).filter((f) => f !== LB_CLEANUP_FINALIZER));
      this.event(svc, 'Normal', 'DeletedLoadBalancer', 'Deleted load balancer');
      log.info('load balancer removed', { service: key });
      return;
    }
    // As the service controller, the finalizer goes on before the load balancer is made: a
    // deleted Service stays until its load balancer has gone. The update it makes brings the
    // Service back here with it, where the status is written (a status written now would meet
    // that update's stale copy in the informer, and be ensured twice).
    if (!hasCleanupFinalizer(svc)) {
      await this.patchFinalizers(svc, [...(svc.metadata?.finalizers ?? []), LB_CLEANUP_FINALIZER]);
      return;
    }
    const plan = planLoadBalancer(svc, this.inf.nodes.list());
    if (plan.problem && this.reported.get(key) !== plan.problem.message) this.event(svc, 'Warning', plan.problem.reason, plan.problem.message);
    if (plan.problem) this.reported.set(key, plan.problem.message);
    else this.reported.delete(key);
    if (JSON.stringify(have) === JSON.stringify(plan.ingress)) return;
    const first = have.length === 0;
    if (first && plan.ingress.length > 0) this.event(svc, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer');
    await updateStatus(this.client, Services, svc, { ...svc.status, loadBalancer: plan.ingress.length ? { ingress: plan.ingress } : {} });
    if (plan.ingress.length > 0) this.event(svc, 'Normal', first ? 'EnsuredLoadBalancer' : 'UpdatedLoadBalancer', first ? 'Ensured load balancer' : 'Updated load balancer with new hosts');
    log.info('load balancer status updated', { service: key, ingress: plan.ingress.map((i) => i.ip) });
  }
}
