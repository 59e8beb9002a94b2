// The EndpointSlice mirroring controller (pkg/controller/endpointslicemirroring): for a Service
// without a selector, whose Endpoints its user writes, EndpointSlices that mirror those Endpoints
// (ready addresses ready, notReadyAddresses not; the Endpoints' labels and annotations but the
// trigger time and kubectl's last-applied configuration), so that readers of slices (the
// service proxy, the cluster DNS) see them too. Endpoints labelled
// endpointslice.kubernetes.io/skip-mirror=true (the apiserver's own `kubernetes` ones) are not
// mirrored; slices are owned by the Endpoints and go when the Endpoints or the Service go, or
// when the Service gets a selector.
import type { ApiClient } from '../client/api-client.js';
import { keyOf, type Informer } from '../client/informer.js';
import type { Endpoint, EndpointAddress, Endpoints, EndpointSlicePort, KubeObject, Service } from '../api/types.js';
import { hasSelector } from './service-pods.js';
import { MIRRORING_CONTROLLER_NAME, sliceHandlers, SliceWriter, type DesiredSlice, type Slice } from './slice-writer.js';
import { TRIGGER_TIME_ANNOTATION } from './trigger-time-tracker.js';
import { WorkQueue } from './work-queue.js';

export const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';

function mirrored(a: EndpointAddress, ready: boolean): Endpoint {
  // (ready only, as addressToEndpoint sets it: readers take serving from ready when it is absent)
  const ep: Endpoint = { addresses: [a.ip ?? ''], conditions: { ready } };
  if (a.hostname) ep.hostname = a.hostname;
  if (a.nodeName) ep.nodeName = a.nodeName;
  if (a.targetRef) ep.targetRef = a.targetRef;
  return ep;
}

/** The endpoints mirroring an Endpoints object: one group per subset (IPv4 addresses only). */
export function mirroredSlices(ep: Endpoints): DesiredSlice[] {
  const v4 = (a: EndpointAddress) => Boolean(a.ip) && !a.ip!.includes(':');
  return (ep.subsets ?? []).map((ss) => ({
    ports: (ss.ports ?? []).map((p): EndpointSlicePort => ({ name: p.name ?? '', port: p.port, protocol: p.protocol || 'TCP', ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) })),
    endpoints: [...(ss.addresses ?? []).filter(v4).map((a) => mirrored(a, true)), ...(ss.notReadyAddresses ?? []).filter(v4).map((a) => mirrored(a, false))],
  }));
}

/** Annotations a mirrored slice carries: the Endpoints' own but the trigger time and kubectl's last-applied configuration. */
function mirroredAnnotations(ep: Endpoints): Record<string, string> {
  const { [TRIGGER_TIME_ANNOTATION]: _t, 'kubectl.kubernetes.io/last-applied-configuration': _l, ...rest } = ep.metadata?.annotations ?? {};
  return rest;
}

/** Labels a mirrored slice carries: the Endpoints' own, but never the Endpoints-only ones. */
function mirroredLabels(ep: Endpoints): Record<string, string> {
  const { [SKIP_MIRROR_LABEL]: _skip, ...rest } = ep.metadata?.labels ?? {};
  return rest;
}

export class EndpointSliceMirroringController {
  private readonly queue: WorkQueue;
  private readonly writer: SliceWriter;

  constructor(
    client: ApiClient,
    private readonly services: Informer<Service & KubeObject>,
    private readonly endpoints: Informer<Endpoints & KubeObject>,
    /** Slices labelled managed-by the mirroring controller. */
    private readonly slices: Informer<Slice>,
  ) {
    this.queue = new WorkQueue('endpointslice-mirroring', (key) => this.sync(key));
    this.writer = new SliceWriter(client, slices, MIRRORING_CONTROLLER_NAME);
  }

  register(): void {
    const enqueue = (o: KubeObject) => this.queue.add(keyOf(o));
    this.slices.on(sliceHandlers((k) => this.queue.add(k)));
    this.services.on({ add: enqueue, update: enqueue, delete: enqueue });
    this.endpoints.on({ add: enqueue, update: enqueue, delete: enqueue });
  }

  resyncAll(): void {
    for (const e of this.endpoints.list()) this.queue.add(keyOf(e));
    for (const k of this.writer.serviceKeys()) this.queue.add(k);
  }

  stop(): void {
    this.queue.stop();
  }

  private async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const svc = this.services.get(key);
    const ep = this.endpoints.get(key);
    const mirror = svc && !hasSelector(svc) && ep && ep.metadata?.labels?.[SKIP_MIRROR_LABEL] !== 'true';
    const desired = mirror ? mirroredSlices(ep) : [];
    const owner = mirror ? { apiVersion: 'v1', kind: 'Endpoints', name, uid: ep.metadata!.uid! } : undefined;
    await this.writer.reconcile(namespace, name, desired, { labels: mirror ? mirroredLabels(ep) : {}, owner, annotations: { fixed: mirror ? mirroredAnnotations(ep) : {} } });
  }
}
