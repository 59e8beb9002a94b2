// The Endpoints controller (pkg/controller/endpoint): for every Service with a selector, one
// Endpoints object of the same name listing the selected pods' IPs, ready ones under
// `addresses` and the others under `notReadyAddresses` (all under `addresses` with
// publishNotReadyAddresses), with each Service port resolved on each pod (no `subsets` when there
// is none). Services without a selector are left to their users, ExternalName Services too
// (issues.k8s.io/105986: an Endpoints object made before the Service became one is left as it is).
// kube-system/kube-dns also lists the nodes that serve the cluster DNS (node-dns.ts).
import type { ApiClient } from '../client/api-client.js';
import { keyOf, type Informer } from '../client/informer.js';
import { EndpointsRef, isNotFound } from '../client/rest-client.js';
import type { EndpointAddress, EndpointPort, Endpoints, EndpointSubset, KubeObject, Node, Pod, Service, ServicePort } from '../api/types.js';
import { logger } from '../util/log.js';
import { endpointLabels, findPort, hasSelector, isPodReady, onSelectedPodChange, podIP, podReference, selects, shouldBeInEndpoints } from './service-pods.js';
import { dnsNodes, isNodeDNSService, nodeDNSPort, onDNSNodeChange, triggerStandIns, type NodeDNS } from './node-dns.js';
import { TRIGGER_TIME_ANNOTATION, TriggerTimeTracker } from './trigger-time-tracker.js';
import { WorkQueue } from './work-queue.js';

const log = logger('endpoints-controller');

interface Entry {
  addr: EndpointAddress;
  ready: boolean;
  port?: EndpointPort;
}

const endpointPort = (sp: ServicePort, port: number): EndpointPort => ({ ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol || 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });

/**
 * The subsets Kubernetes computes for a Service over its selected pods (repacked and sorted), and
 * over the nodes serving the cluster DNS for kube-dns (ready ones under addresses, the others not).
 */
export function desiredSubsets(svc: Service, pods: Pod[], dns: readonly NodeDNS[] = []): EndpointSubset[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const entries: Entry[] = [];
  for (const pod of pods) {
    if (!selects(svc, pod) || !shouldBeInEndpoints(pod, publishNotReady)) continue;
    const addr: EndpointAddress = { ip: podIP(pod), ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}), targetRef: podReference(pod) };
    if (pod.spec?.hostname && pod.spec.subdomain === svc.metadata?.name && svc.metadata?.namespace === pod.metadata?.namespace) addr.hostname = pod.spec.hostname;
    const ready = publishNotReady || isPodReady(pod);
    const ports = svc.spec?.ports ?? [];
    // A headless Service may have no ports.
    if (!ports.length && svc.spec?.clusterIP === 'None') entries.push({ addr, ready });
    for (const sp of ports) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      entries.push({ addr, ready, port: endpointPort(sp, port) });
    }
  }
  for (const n of dns) {
    const addr: EndpointAddress = { ip: n.ip, nodeName: n.nodeName, targetRef: n.targetRef };
    const ready = publishNotReady || n.ready;
    for (const sp of svc.spec?.ports ?? []) {
      const port = nodeDNSPort(sp);
      if (port !== undefined) entries.push({ addr, ready, port: endpointPort(sp, port) });
    }
  }
  return repack(entries);
}

/** RepackSubsets: addresses with the same set of ports share a subset. */
function repack(entries: Entry[]): EndpointSubset[] {
  const portKey = (p: EndpointPort) => `${p.name ?? ''}/${p.port}/${p.protocol}`;
  const byAddr = new Map<string, { addr: EndpointAddress; ready: boolean; ports: Map<string, EndpointPort> }>();
  for (const e of entries) {
    const k = `${e.addr.ip}|${e.addr.targetRef?.uid ?? ''}|${e.ready}`;
    const cur = byAddr.get(k) ?? { addr: e.addr, ready: e.ready, ports: new Map() };
    if (e.port) cur.ports.set(portKey(e.port), e.port);
    byAddr.set(k, cur);
  }
  const groups = new Map<string, EndpointSubset>();
  for (const a of byAddr.values()) {
    const ports = [...a.ports.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    const sig = ports.map(([k]) => k).join(',');
    const ss = groups.get(sig) ?? { ...(ports.length ? { ports: ports.map(([, p]) => p) } : {}) };
    (a.ready ? (ss.addresses ??= []) : (ss.notReadyAddresses ??= [])).push(a.addr);
    groups.set(sig, ss);
  }
  const byIP = (x: EndpointAddress, y: EndpointAddress) => (x.ip! < y.ip! ? -1 : x.ip! > y.ip! ? 1 : 0);
  return [...groups.entries()]
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([, ss]) => {
      ss.addresses?.sort(byIP);
      ss.notReadyAddresses?.sort(byIP);
      return ss;
    });
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export class EndpointsController {
  private readonly queue: WorkQueue;
  private readonly triggerTimes = new TriggerTimeTracker();

  constructor(
    private readonly client: ApiClient,
    private readonly services: Informer<Service & KubeObject>,
    private readonly pods: Informer<Pod & KubeObject>,
    private readonly endpoints: Informer<Endpoints & KubeObject>,
    /** The Nodes, for kube-dns's endpoints (none: kube-dns lists only the pods it selects). */
    private readonly nodes?: Informer<Node & KubeObject>,
  ) {
    this.queue = new WorkQueue('endpoints', (key) => this.sync(key));
  }

  /** Wires the informers' events to the queue; call before starting them. */
  register(): void {
    const enqueue = (o: KubeObject) => this.queue.add(keyOf(o));
    this.services.on({ add: enqueue, update: enqueue, delete: enqueue });
    // Only deletions (as Kubernetes): an update to a user's own Endpoints is none of our business.
    this.endpoints.on({ delete: enqueue });
    onSelectedPodChange(this.services, this.pods, enqueue);
    if (this.nodes) onDNSNodeChange(this.nodes, (k) => this.queue.add(k));
  }

  /**
   * Queues every Service (after the informers' first lists), and the Endpoints this controller
   * wrote whose Service went while it was not watching (checkLeftoverEndpoints; Kubernetes takes
   * every Endpoints without a Service, we only those that look like ours: a trigger time or a pod
   * address).
   */
  resyncAll(): void {
    for (const s of this.services.list()) this.queue.add(keyOf(s));
    for (const e of this.endpoints.list()) {
      if (!this.services.get(keyOf(e)) && looksManaged(e)) this.queue.add(keyOf(e));
    }
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
    const current = this.endpoints.get(key);
    if (!svc) {
      // The Service is gone: so are its endpoints (as Kubernetes' controller does).
      if (current) await this.client.delete(EndpointsRef, namespace, name).catch(ignore404);
      this.triggerTimes.deleteService(key);
      return;
    }
    if (svc.spec?.type === 'ExternalName' || !hasSelector(svc)) return;
    const pods = this.pods.list().filter((p) => selects(svc, p));
    const dns = this.nodes && isNodeDNSService(svc) ? dnsNodes(this.nodes.list()) : [];
    // Computed before the comparison, so that a sync that writes nothing still records the times.
    const triggerTime = this.triggerTimes.compute(key, svc, dns.length ? [...pods, ...triggerStandIns(dns)] : pods);
    const subsets = desiredSubsets(svc, pods, dns);
    const labels = endpointLabels(svc);
    if (current && same(current.subsets ?? [], subsets) && same(current.metadata?.labels ?? {}, labels)) return;
    const { [TRIGGER_TIME_ANNOTATION]: _old, ...annotations } = current?.metadata?.annotations ?? {};
    if (triggerTime) annotations[TRIGGER_TIME_ANNOTATION] = triggerTime;
    // No addresses: no subsets at all (the field is omitempty).
    const body: Endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata: { ...(current?.metadata ?? {}), name, namespace, labels, annotations }, ...(subsets.length ? { subsets } : {}) };
    if (current) await this.client.update(EndpointsRef, namespace, name, body);
    else await this.client.create(EndpointsRef, namespace, body);
    log.debug('endpoints synced', { service: key, subsets: subsets.length });
  }
}

/** Whether an Endpoints object seems this controller's: it has a trigger time or lists pods. */
function looksManaged(e: Endpoints): boolean {
  if (e.metadata?.annotations?.[TRIGGER_TIME_ANNOTATION]) return true;
  return (e.subsets ?? []).some((ss) => [...(ss.addresses ?? []), ...(ss.notReadyAddresses ?? [])].some((a) => a.targetRef?.kind === 'Pod'));
}

function ignore404(e: unknown): void {
  if (!isNotFound(e)) throw e;
}
