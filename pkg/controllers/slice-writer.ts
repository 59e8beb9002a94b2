// Writing a Service's EndpointSlices for one managing controller (the EndpointSlice controller,
// the mirroring controller), as the 1.32 reconciler (staging/src/k8s.io/endpointslice) places
// endpoints: the existing slices are grouped by their set of ports and each port set reconciled
// apart — endpoints no longer wanted are dropped from the slice holding them (a slice left empty
// is deleted), changed ones updated in place, new ones added first to the slices being updated
// anyway (fullest first), then to the unchanged slice they fit best, then to new slices of at
// most 100; the slices of a port set no longer wanted are deleted, and a create and a delete are
// turned into an update of the slice that would go. The EndpointSlice controller keeps one empty
// placeholder when there is nothing. Empty lists are written as null, as the API serves them.
// Slices it wrote or deleted that its informer does not show yet are remembered, so a quick
// second sync does not create a duplicate.
import type { ApiClient } from '../client/api-client.js';
import { keyOf, type Informer, type InformerHandlers } from '../client/informer.js';
import { EndpointSlices, isNotFound } from '../client/rest-client.js';
import type { Endpoint, EndpointSlice, EndpointSlicePort, KubeObject } from '../api/types.js';
import { TRIGGER_TIME_ANNOTATION } from './trigger-time-tracker.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const MIRRORING_CONTROLLER_NAME = 'endpointslicemirroring-controller.k8s.io';
export const MAX_ENDPOINTS_PER_SLICE = 100;

export type Slice = EndpointSlice & KubeObject;

/** Endpoints that share a set of ports (the writer cuts them into slices). */
export interface DesiredSlice {
  ports: EndpointSlicePort[];
  endpoints: Endpoint[];
}

export interface SliceOwner {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

/** What the slices of one Service should be. */
export interface SliceSpec {
  /** Labels besides the service name and the manager. */
  labels: Record<string, string>;
  /** The slices' controller (the Service, or the mirrored Endpoints); none: every slice goes. */
  owner: SliceOwner | undefined;
  /**
   * `fixed`: the annotations every slice carries, compared like the labels (the mirroring
   * controller's copy of the Endpoints' own). `triggerTime`: a slice's own annotations are kept,
   * and every slice created or updated gets the trigger time (removed when undefined).
   */
  annotations: { fixed: Record<string, string> } | { triggerTime: string | undefined };
  /** Keep one empty slice when there is no endpoint (the EndpointSlice controller). */
  placeholder?: boolean;
}

/** Informer handlers that queue the `namespace/service` a changed or deleted slice belongs to. */
export function sliceHandlers(enqueue: (key: string) => void): InformerHandlers<Slice> {
  const ofSlice = (s: Slice) => {
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (svc) enqueue(`${s.metadata?.namespace}/${svc}`);
  };
  return { update: ofSlice, delete: ofSlice };
}

/** JSON with sorted keys and without undefined: equal values compare equal whatever their key order. */
function canonical(v: unknown): string {
  return JSON.stringify(v ?? null, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).filter(([, y]) => y !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
}
const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);
const rv = (s: Slice) => Number(s.metadata?.resourceVersion ?? 0);

/** NewPortMapKey: the set of ports, whatever their order. */
export function portKey(ports: readonly EndpointSlicePort[] | null | undefined): string {
  return (ports ?? [])
    .map((p) => canonical({ name: p.name ?? '', port: p.port, protocol: p.protocol || 'TCP', appProtocol: p.appProtocol }))
    .sort()
    .join(',');
}

/** An endpoint's identity (the EndpointSet hash): its addresses, hostname and target. */
function endpointKey(e: Endpoint): string {
  return canonical([[...(e.addresses ?? [])].sort(), e.hostname ?? '', e.targetRef?.namespace ?? '', e.targetRef?.name ?? '']);
}

const endpointsOf = (s: Slice) => s.endpoints ?? [];

/** What a sync writes: slices to create (generateName), to update (name), to delete. */
export interface SlicePlan {
  create: Slice[];
  update: Slice[];
  remove: Slice[];
}

/**
 * Reconcile/reconcileByPortMapping/finalize of the 1.32 reconciler over one Service's existing
 * slices (in name order) and desired endpoints; `newSlice` makes an unnamed slice of some ports.
 */
export function planSlices(existing: readonly Slice[], groups: readonly DesiredSlice[], spec: SliceSpec & { allLabels: Record<string, string> }, newSlice: (ports: EndpointSlicePort[]) => Slice): SlicePlan {
  const owner = spec.owner;
  const owned = (s: Slice) => Boolean(owner && s.metadata?.ownerReferences?.some((r) => r.uid === owner.uid && r.kind === owner.kind));
  if (!owner) return { create: [], update: [], remove: [...existing] };
  const fixed = 'fixed' in spec.annotations ? spec.annotations.fixed : undefined;
  const metaChanged = (s: Slice) => !same(s.metadata?.labels ?? {}, spec.allLabels) || (fixed !== undefined && !same(s.metadata?.annotations ?? {}, fixed));
  const withMeta = (s: Slice, endpoints: Endpoint[]): Slice => ({ ...s, metadata: { ...s.metadata, labels: spec.allLabels, ...(fixed ? { annotations: fixed } : {}) }, endpoints });

  const create: Slice[] = [];
  const update: Slice[] = [];
  const remove: Slice[] = [];
  const existingByPorts = new Map<string, Slice[]>();
  for (const s of existing) {
    if (!owned(s)) {
      remove.push(s);
      continue;
    }
    const k = portKey(s.ports);
    existingByPorts.set(k, [...(existingByPorts.get(k) ?? []), s]);
  }
  const desired = new Map<string, { ports: EndpointSlicePort[]; endpoints: Map<string, Endpoint> }>();
  for (const g of groups) {
    const k = portKey(g.ports);
    const d = desired.get(k) ?? { ports: g.ports, endpoints: new Map<string, Endpoint>() };
    for (const e of g.endpoints) d.endpoints.set(endpointKey(e), e);
    desired.set(k, d);
  }

  for (const [k, d] of desired) {
    const want = d.endpoints;
    const toUpdate = new Map<string, Slice>();
    const unchanged = new Map<string, Slice>();
    // 1. Each existing slice keeps the endpoints still wanted, in their new state.
    for (const s of existingByPorts.get(k) ?? []) {
      const kept: Endpoint[] = [];
      let changed = false;
      for (const e of endpointsOf(s)) {
        const ek = endpointKey(e);
        const w = want.get(ek);
        if (!w) continue;
        kept.push(w);
        if (!same(w, e)) changed = true;
        want.delete(ek);
      }
      if (changed || kept.length !== endpointsOf(s).length) {
        if (!kept.length) remove.push(s);
        else toUpdate.set(s.metadata!.name!, withMeta(s, kept));
      } else if (metaChanged(s)) toUpdate.set(s.metadata!.name!, withMeta(s, kept));
      else unchanged.set(s.metadata!.name!, s);
    }
    const take = (s: Slice) => {
      const eps = [...endpointsOf(s)];
      for (const [ek, e] of want) {
        if (eps.length >= MAX_ENDPOINTS_PER_SLICE) break;
        eps.push(e);
        want.delete(ek);
      }
      return eps;
    };
    // 2. New endpoints go first to the slices updated anyway, the fullest first.
    if (want.size) {
      for (const s of [...toUpdate.values()].sort((a, b) => endpointsOf(b).length - endpointsOf(a).length)) toUpdate.set(s.metadata!.name!, { ...s, endpoints: take(s) });
    }
    // 3. Then to the unchanged slice they fit best, else to new slices.
    while (want.size) {
      const fill = want.size < MAX_ENDPOINTS_PER_SLICE ? sliceToFill([...unchanged.values()], want.size) : undefined;
      if (fill) {
        unchanged.delete(fill.metadata!.name!);
        toUpdate.set(fill.metadata!.name!, { ...fill, endpoints: take(fill) });
      } else {
        const s = newSlice(d.ports);
        create.push({ ...s, endpoints: take(s) });
      }
    }
    update.push(...toUpdate.values());
  }
  // The slices of port sets no longer wanted.
  for (const [k, slices] of existingByPorts) if (!desired.has(k)) remove.push(...slices);

  // A placeholder when there would be no slice at all; one already there is kept.
  if (spec.placeholder && existing.length === remove.length && !create.length) {
    const placeholder = newSlice([]);
    const isPlaceholder = (s: Slice) => !endpointsOf(s).length && !(s.ports ?? []).length && same(s.metadata?.labels ?? {}, placeholder.metadata?.labels ?? {}) && same(s.metadata?.ownerReferences ?? [], placeholder.metadata?.ownerReferences ?? []);
    if (remove.length === 1 && isPlaceholder(remove[0]!)) remove.length = 0;
    else create.push(placeholder);
  }

  // finalize: a slice to create replaces one to delete (owned by the same owner) by an update.
  for (let i = 0; i < remove.length && create.length; ) {
    const gone = remove[i]!;
    if (!owned(gone)) {
      i++;
      continue;
    }
    const s = create.pop()!;
    // Only the name is set on the new slice (its generateName stays, and is stored by the update,
    // as upstream's slice.Name = sliceToDelete.Name leaves it).
    update.push({ ...s, metadata: { ...s.metadata, name: gone.metadata!.name!, resourceVersion: gone.metadata!.resourceVersion } });
    remove.splice(i, 1);
  }
  return { create, update, remove };
}

/** getSliceToFill: the unchanged slice with room for `n` more endpoints that is left fullest. */
function sliceToFill(slices: Slice[], n: number): Slice | undefined {
  let best: Slice | undefined;
  let closest = MAX_ENDPOINTS_PER_SLICE;
  for (const s of slices) {
    const diff = MAX_ENDPOINTS_PER_SLICE - (n + endpointsOf(s).length);
    if (diff >= 0 && diff < closest) {
      closest = diff;
      best = s;
      if (diff === 0) break;
    }
  }
  return best;
}

/** The body to send: empty lists as null (no omitempty on these fields), the trigger time set. */
function toWrite(s: Slice, spec: SliceSpec): Slice {
  const meta = { ...s.metadata };
  if ('triggerTime' in spec.annotations) {
    const { [TRIGGER_TIME_ANNOTATION]: _old, ...rest } = meta.annotations ?? {};
    meta.annotations = spec.annotations.triggerTime ? { ...rest, [TRIGGER_TIME_ANNOTATION]: spec.annotations.triggerTime } : rest;
  }
  const nullIfEmpty = <T>(xs: T[] | undefined) => (xs?.length ? xs : (null as unknown as undefined));
  return { ...s, metadata: meta, endpoints: nullIfEmpty(s.endpoints), ports: nullIfEmpty(s.ports) };
}

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

  /** Makes the service's slices hold the `desired` endpoints as `spec` says. */
  async reconcile(namespace: string, service: string, desired: DesiredSlice[], spec: SliceSpec): Promise<void> {
    // Slices being deleted are left to finish (dropEndpointSlicesPendingDeletion).
    const existing = this.current(namespace, service).filter((s) => !s.metadata?.deletionTimestamp);
    const allLabels = { ...spec.labels, [SERVICE_NAME_LABEL]: service, [MANAGED_BY_LABEL]: this.managedBy };
    const owners = spec.owner ? [{ ...spec.owner, controller: true, blockOwnerDeletion: true }] : [];
    const fixed = 'fixed' in spec.annotations ? spec.annotations.fixed : undefined;
    const newSlice = (ports: EndpointSlicePort[]): Slice => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { generateName: `${service}-`, namespace, labels: allLabels, ...(fixed ? { annotations: fixed } : {}), ownerReferences: owners },
      addressType: 'IPv4',
      endpoints: [],
      ports,
    });
    const plan = planSlices(existing, desired, { ...spec, allLabels }, newSlice);
    for (const s of plan.create) {
      const written = await this.client.create<Slice>(EndpointSlices, namespace, toWrite(s, spec));
      this.recent.set(keyOf(written), written);
    }
    for (const s of plan.update) {
      const written = await this.client.update<Slice>(EndpointSlices, namespace, s.metadata!.name!, toWrite(s, spec)).catch((e) => {
        // Deleted by someone else: forget it; the retry creates a new one.
        if (isNotFound(e)) this.recent.set(`${namespace}/${s.metadata!.name}`, undefined);
        throw e;
      });
      this.recent.set(keyOf(written), written);
    }
    for (const s of plan.remove) {
      await this.client.delete(EndpointSlices, namespace, s.metadata!.name!).catch((e) => {
        if (!isNotFound(e)) throw e;
      });
      this.recent.set(keyOf(s), undefined);
    }
  }
}
