// The EndpointSlice controller (pkg/controller/endpointslice): for every Service with a selector,
// EndpointSlices labelled kubernetes.io/service-name and managed-by this controller, owned by the
// Service, listing the selected pods with ready / serving / terminating conditions, node and
// target reference. Pods whose Service ports resolve to the same numbers share slices of at most
// 100 endpoints; a Service with no pods gets one empty placeholder slice. Services without a
// selector are left to their users; a deleted Service's slices are deleted.
import type { ApiClient } from '../client/api-client.js';
import { keyOf, type Informer } from '../client/informer.js';
import { EndpointSlices, StatusError } from '../client/rest-client.js';
import type { Endpoint, EndpointSlice, EndpointSlicePort, KubeObject, Pod, Service } from '../api/types.js';
import { logger } from '../util/log.js';
import { endpointLabels, findPort, hasSelector, isPodReady, podIP, podReference, selects, shouldBeInEndpoints } from './service-pods.js';
import { WorkQueue } from './work-queue.js';

const log = logger('endpointslice-controller');

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const MAX_ENDPOINTS_PER_SLICE = 100;

type Slice = EndpointSlice & KubeObject;

/** What one slice should hold. */
export interface DesiredSlice {
  ports: EndpointSlicePort[];
  endpoints: Endpoint[];
}

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

/** The slices a Service should have over its selected pods, in a stable order. */
export function desiredSlices(svc: Service, pods: Pod[]): DesiredSlice[] {
  const groups = new Map<string, DesiredSlice>();
  const selected = pods.filter((p) => selects(svc, p) && shouldBeInEndpoints(p, true)).sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  for (const pod of selected) {
    const ports: EndpointSlicePort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      ports.push({ name: sp.name ?? '', port, protocol: sp.protocol || 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
    }
    // Kubernetes skips a pod none of whose ports resolve, unless the Service has no ports.
    if (!ports.length && svc.spec?.ports?.length) continue;
    const sig = JSON.stringify(ports);
    const g = groups.get(sig) ?? { ports, endpoints: [] };
    g.endpoints.push(podEndpoint(svc, pod));
    groups.set(sig, g);
  }
  const out: DesiredSlice[] = [];
  for (const g of groups.values()) {
    for (let i = 0; i < g.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) out.push({ ports: g.ports, endpoints: g.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE) });
  }
  if (!out.length) out.push({ ports: [], endpoints: [] });
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const rv = (s: Slice) => Number(s.metadata?.resourceVersion ?? 0);

export class EndpointSliceController {
  private readonly queue: WorkQueue;
  /**
   * Slices this controller wrote or deleted that the informer may not show yet (by ns/name;
   * undefined = deleted), so a quick second sync does not create a duplicate.
   */
  private readonly recent = new Map<string, Slice | undefined>();

  constructor(
    private readonly client: ApiClient,
    private readonly services: Informer<Service & KubeObject>,
    private readonly pods: Informer<Pod & KubeObject>,
    /** Slices managed by this controller (label selector managed-by). */
    private readonly slices: Informer<Slice>,
  ) {
    this.queue = new WorkQueue('endpointslice', (key) => this.sync(key));
  }

  register(): void {
    const enqueue = (o: KubeObject) => this.queue.add(keyOf(o));
    this.services.on({ add: enqueue, update: enqueue, delete: enqueue });
    const ofSlice = (s: Slice) => {
      const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (svc) this.queue.add(`${s.metadata?.namespace}/${svc}`);
    };
    this.slices.on({ update: ofSlice, delete: ofSlice });
    const podChanged = (pod: Pod, old?: Pod) => {
      for (const svc of this.services.list()) if (selects(svc, pod) || (old && selects(svc, old))) enqueue(svc);
    };
    this.pods.on({ add: (p) => podChanged(p), update: (p, old) => podChanged(p, old), delete: (p) => podChanged(p) });
  }

  resyncAll(): void {
    for (const s of this.services.list()) this.queue.add(keyOf(s));
    for (const s of this.slices.list()) {
      const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (svc) this.queue.add(`${s.metadata?.namespace}/${svc}`);
    }
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  stop(): void {
    this.queue.stop();
  }

  /** The Service's managed slices: the informer's, corrected by what this controller just did. */
  private current(namespace: string, name: string): Slice[] {
    const mine = (s: Slice) => s.metadata?.namespace === namespace && s.metadata.labels?.[SERVICE_NAME_LABEL] === name && s.metadata.labels[MANAGED_BY_LABEL] === CONTROLLER_NAME;
    const byKey = new Map<string, Slice>();
    for (const s of this.slices.list()) if (mine(s)) byKey.set(keyOf(s), s);
    for (const [k, s] of this.recent) {
      const seen = this.slices.get(k);
      // Forget what the informer has caught up with.
      if (s ? seen && rv(seen) >= rv(s) : !seen) {
        this.recent.delete(k);
        continue;
      }
      if (s && mine(s)) byKey.set(k, s);
      if (!s) byKey.delete(k);
    }
    return [...byKey.values()].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  }

  private async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const svc = this.services.get(key);
    const existing = this.current(namespace, name);
    const desired = svc && hasSelector(svc) ? desiredSlices(svc, this.pods.list()) : [];
    const labels = svc ? { ...endpointLabels(svc), [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: CONTROLLER_NAME } : {};
    const owner = svc ? [{ apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata!.uid!, controller: true, blockOwnerDeletion: true }] : [];
    for (let i = 0; i < desired.length; i++) {
      const want = desired[i]!;
      const cur = existing[i];
      if (cur && same(cur.endpoints ?? [], want.endpoints) && same(cur.ports ?? [], want.ports) && same(cur.metadata?.labels, labels) && same(cur.metadata?.ownerReferences, owner)) continue;
      const body: Slice = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: cur ? { ...cur.metadata, labels, ownerReferences: owner } : { generateName: `${name}-`, namespace, labels, ownerReferences: owner },
        addressType: 'IPv4',
        endpoints: want.endpoints,
        ports: want.ports,
      };
      const written = cur
        ? await this.client.update<Slice>(EndpointSlices, namespace, cur.metadata!.name!, body).catch((e) => {
            // Deleted by someone else: forget it; the retry creates a new one.
            if (e instanceof StatusError && e.code === 404) this.recent.set(keyOf(cur), undefined);
            throw e;
          })
        : await this.client.create<Slice>(EndpointSlices, namespace, body);
      this.recent.set(keyOf(written), written);
    }
    for (const extra of existing.slice(desired.length)) {
      await this.client.delete(EndpointSlices, namespace, extra.metadata!.name!).catch((e) => {
        if (!(e instanceof StatusError && e.code === 404)) throw e;
      });
      this.recent.set(keyOf(extra), undefined);
    }
    log.debug('endpointslices synced', { service: key, slices: desired.length });
  }
}
