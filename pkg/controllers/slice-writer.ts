// Writing a Service's EndpointSlices for one managing controller (the EndpointSlice controller,
// the mirroring controller): the desired slices are matched to the existing ones in name order,
// changed ones updated, missing ones created with generateName `<service>-`, extra ones deleted.
// Slices it wrote or deleted that its informer does not show yet are remembered, so a quick
// second sync does not create a duplicate.
import type { ApiClient } from '../client/api-client.js';
import { keyOf, type Informer, type InformerHandlers } from '../client/informer.js';
import { EndpointSlices, StatusError } from '../client/rest-client.js';
import type { Endpoint, EndpointSlice, EndpointSlicePort, KubeObject } from '../api/types.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const MIRRORING_CONTROLLER_NAME = 'endpointslicemirroring-controller.k8s.io';
export const MAX_ENDPOINTS_PER_SLICE = 100;

export type Slice = EndpointSlice & KubeObject;

/** What one slice should hold. */
export interface DesiredSlice {
  ports: EndpointSlicePort[];
  endpoints: Endpoint[];
}

/** Groups of endpoints sharing ports, cut into slices of at most MAX_ENDPOINTS_PER_SLICE. */
export function chunked(groups: DesiredSlice[]): DesiredSlice[] {
  const out: DesiredSlice[] = [];
  for (const g of groups) {
    for (let i = 0; i < g.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) out.push({ ports: g.ports, endpoints: g.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE) });
  }
  return out;
}

/** Informer handlers that queue the `namespace/service` a changed or deleted slice belongs to. */
export function sliceHandlers(enqueue: (key: string) => void): InformerHandlers<Slice> {
  const ofSlice = (s: Slice) => {
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (svc) enqueue(`${s.metadata?.namespace}/${svc}`);
  };
  return { update: ofSlice, delete: ofSlice };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const rv = (s: Slice) => Number(s.metadata?.resourceVersion ?? 0);

export class SliceWriter {
  /** Written (or, undefined, deleted) slices by ns/name, until the informer has caught up. */
  private readonly recent = new Map<string, Slice | undefined>();

  constructor(
    private readonly client: ApiClient,
    /** Slices labelled managed-by `managedBy`. */
    private readonly slices: Informer<Slice>,
    private readonly managedBy: string,
  ) {}

  /** `namespace/service` of every slice this writer manages. */
  serviceKeys(): string[] {
    return this.slices.list().flatMap((s) => (s.metadata?.labels?.[SERVICE_NAME_LABEL] ? [`${s.metadata.namespace}/${s.metadata.labels[SERVICE_NAME_LABEL]}`] : []));
  }

  /** The service's managed slices: the informer's, corrected by what this writer just did. */
  private current(namespace: string, service: string): Slice[] {
    const mine = (s: Slice) => s.metadata?.namespace === namespace && s.metadata.labels?.[SERVICE_NAME_LABEL] === service && s.metadata.labels[MANAGED_BY_LABEL] === this.managedBy;
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

  /**
   * Makes the service's slices hold `desired`, labelled with `labels` plus the service name and
   * the manager, and controlled by `owner` (the Service, or the mirrored Endpoints).
   */
  async reconcile(namespace: string, service: string, desired: DesiredSlice[], labels: Record<string, string>, owner: { apiVersion: string; kind: string; name: string; uid: string } | undefined): Promise<void> {
    const existing = this.current(namespace, service);
    const allLabels = { ...labels, [SERVICE_NAME_LABEL]: service, [MANAGED_BY_LABEL]: this.managedBy };
    const owners = owner ? [{ ...owner, controller: true, blockOwnerDeletion: true }] : [];
    for (let i = 0; i < desired.length; i++) {
      const want = desired[i]!;
      const cur = existing[i];
      if (cur && same(cur.endpoints ?? [], want.endpoints) && same(cur.ports ?? [], want.ports) && same(cur.metadata?.labels, allLabels) && same(cur.metadata?.ownerReferences, owners)) continue;
      const body: Slice = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: cur ? { ...cur.metadata, labels: allLabels, ownerReferences: owners } : { generateName: `${service}-`, namespace, labels: allLabels, ownerReferences: owners },
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
  }
}
