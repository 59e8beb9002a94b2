// The EndpointSlice controller (pkg/controller/endpointslice): for every Service with a selector,
// EndpointSlices labelled kubernetes.io/service-name and managed-by this controller, owned by the
// Service, listing the selected pods with ready / serving / terminating conditions, node and
// target reference, and the last-change-trigger-time annotation. Pods whose Service ports resolve
// to the same numbers share slices of at most 100 endpoints, placed as the 1.32 reconciler does
// (slice-writer.ts); a Service with no pods gets one empty placeholder slice. Services without a
// selector are left to their users; ExternalName Services get nothing (issues.k8s.io/105986: the
// slices of a Service that became one are left as they are); a deleted Service's slices are deleted.
// kube-system/kube-dns also lists the nodes that serve the cluster DNS (node-dns.ts).
import type { ApiClient } from '../client/api-client.js';
import { keyOf, type Informer } from '../client/informer.js';
import type { Endpoint, EndpointSlicePort, KubeObject, Node, Pod, Service, ServicePort } from '../api/types.js';
import { logger } from '../util/log.js';
import { endpointLabels, findPort, hasSelector, isPodReady, onSelectedPodChange, podIP, podReference, selects, shouldBeInEndpoints } from './service-pods.js';
import { WorkQueue } from './work-queue.js';
import { CONTROLLER_NAME, sliceHandlers, SliceWriter, type DesiredSlice, type Slice } from './slice-writer.js';
import { TriggerTimeTracker } from './trigger-time-tracker.js';
import { dnsNodes, isNodeDNSService, nodeDNSPort, onDNSNodeChange, triggerStandIns, type NodeDNS } from './node-dns.js';

export { CONTROLLER_NAME, MANAGED_BY_LABEL, MAX_ENDPOINTS_PER_SLICE, SERVICE_NAME_LABEL } from './slice-writer.js';

const log = logger('endpointslice-controller');

/** podToEndpoint: ready only when serving and not terminating (or publishNotReadyAddresses). */
function podEndpoint(svc: Service, pod: Pod): Endpoint {
  const serving = isPodReady(pod);
  const terminating = Boolean(pod.metadata?.deletionTimestamp);
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: Endpoint = { addresses: [podIP(pod)], conditions: { ready, serving, terminating } };
  if (pod.spec?.hostname && pod.spec.subdomain === svc.metadata?.name) ep.hostname = pod.spec.hostname;
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  ep.targetRef = podReference(pod);
  return ep;
}

const slicePort = (sp: ServicePort, port: number): EndpointSlicePort => ({ name: sp.name ?? '', port, protocol: sp.protocol || 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });

/**
 * The endpoints a Service should have over its selected pods, and over the nodes serving the
 * cluster DNS for kube-dns (ready, and serving, while the Node is Ready), by set of ports, in a
 * stable order.
 */
export function desiredSlices(svc: Service, pods: Pod[], dns: readonly NodeDNS[] = []): DesiredSlice[] {
  const groups = new Map<string, DesiredSlice>();
  const add = (ports: EndpointSlicePort[], ep: Endpoint) => {
    const sig = JSON.stringify(ports);
    const g = groups.get(sig) ?? { ports, endpoints: [] };
    g.endpoints.push(ep);
    groups.set(sig, g);
  };
  const selected = pods.filter((p) => selects(svc, p) && shouldBeInEndpoints(p, true)).sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  for (const pod of selected) {
    const ports: EndpointSlicePort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      ports.push(slicePort(sp, port));
    }
    // A pod none of whose ports resolve (a named targetPort it does not declare) is still an
    // endpoint, in a slice of no ports: the 1.32 reconciler groups pods by whatever
    // getEndpointPorts gives, empty included. (The Endpoints controller leaves such a pod out.)
    add(ports, podEndpoint(svc, pod));
  }
  for (const n of dns) {
    const ports: EndpointSlicePort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const port = nodeDNSPort(sp);
      if (port !== undefined) ports.push(slicePort(sp, port));
    }
    const ready = svc.spec?.publishNotReadyAddresses === true || n.ready;
    add(ports, { addresses: [n.ip], conditions: { ready, serving: n.ready, terminating: false }, nodeName: n.nodeName, targetRef: n.targetRef });
  }
  return [...groups.values()];
}

export class EndpointSliceController {
  private readonly queue: WorkQueue;
  private readonly writer: SliceWriter;
  private readonly triggerTimes = new TriggerTimeTracker();

  constructor(
    client: ApiClient,
    private readonly services: Informer<Service & KubeObject>,
    private readonly pods: Informer<Pod & KubeObject>,
    /** Slices managed by this controller (label selector managed-by). */
    private readonly slices: Informer<Slice>,
    /** The Nodes, for kube-dns's endpoints (none: kube-dns lists only the pods it selects). */
    private readonly nodes?: Informer<Node & KubeObject>,
  ) {
    this.queue = new WorkQueue('endpointslice', (key) => this.sync(key));
    this.writer = new SliceWriter(client, slices, CONTROLLER_NAME);
  }

  register(): void {
    const enqueue = (o: KubeObject) => this.queue.add(keyOf(o));
    this.services.on({ add: enqueue, update: enqueue, delete: enqueue });
    this.slices.on(sliceHandlers((k) => this.queue.add(k)));
    onSelectedPodChange(this.services, this.pods, enqueue);
    if (this.nodes) onDNSNodeChange(this.nodes, (k) => this.queue.add(k));
  }

  resyncAll(): void {
    for (const s of this.services.list()) this.queue.add(keyOf(s));
    for (const k of this.writer.serviceKeys()) this.queue.add(k);
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  stop(): void {
    this.queue.stop();
  }

  private async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const svc = this.services.get(key);
    if (!svc) {
      this.triggerTimes.deleteService(key);
      await this.writer.reconcile(namespace, name, [], { labels: {}, owner: undefined, annotations: { triggerTime: undefined } });
      return;
    }
    if (svc.spec?.type === 'ExternalName') return;
    if (!hasSelector(svc)) {
      await this.writer.reconcile(namespace, name, [], { labels: {}, owner: undefined, annotations: { triggerTime: undefined } });
      return;
    }
    const pods = this.pods.list().filter((p) => selects(svc, p));
    const dns = this.nodes && isNodeDNSService(svc) ? dnsNodes(this.nodes.list()) : [];
    const triggerTime = this.triggerTimes.compute(key, svc, dns.length ? [...pods, ...triggerStandIns(dns)] : pods);
    const desired = desiredSlices(svc, pods, dns);
    const owner = { apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata!.uid! };
    await this.writer.reconcile(namespace, name, desired, { labels: endpointLabels(svc), owner, annotations: { triggerTime }, placeholder: true });
    log.debug('endpointslices synced', { service: key, ports: desired.length });
  }
}
