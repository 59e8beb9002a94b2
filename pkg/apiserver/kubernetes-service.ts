// The `kubernetes` Service in `default`, as kube-apiserver's controlplane reconcilers keep it:
// ClusterIP = the first IP of the service range, port 443 (https) to the apiserver's secure port,
// and an Endpoints and an EndpointSlice naming every live apiserver's advertised address (the
// "lease" endpoint reconciler: each apiserver keeps a key with a 15 s etcd lease under
// /registry/masterleases/, renewed every 10 s, and the endpoints list the keys alive).
import { isIPv6 } from 'node:net';
import type { Endpoints, EndpointSlice, KubeObject, Service } from '../api/types.js';
import { ipString } from '../util/ip-string.js';
import { ApiError } from './errors.js';
import type { RequestContext, Store } from './registry/store.js';

/** Where apiservers keep their master leases (reconcilers/lease.go's baseKey). */
export const MASTER_LEASES = '/registry/masterleases/';

/**
 * An apiserver's master lease key (lease.go UpdateLease: path.Join(baseKey, ip.String())): its
 * advertised IP as Go writes it (/registry/masterleases/fd00::1 for FD00:0::1), no port; the
 * apiservers of a cluster share theirs.
 */
export function masterLeaseKey(advertiseAddress: string): string {
  return `${MASTER_LEASES}${ipString(advertiseAddress)}`;
}

/**
 * A master lease's value as UpdateLease leaves it: an Endpoints with the one address, its
 * generation one past the stored one's (GuaranteedUpdate stores, and so renews the TTL, only
 * when something changed). `stored`: the key's value before, if any.
 */
export function masterLeaseValue(advertiseAddress: string, stored?: string): string {
  let generation = 0;
  try {
    generation = Number((JSON.parse(stored ?? '') as KubeObject).metadata?.generation) || 0;
  } catch {
    // (none yet, or a lease in an older form: as a new one)
  }
  return JSON.stringify({ kind: 'Endpoints', apiVersion: 'v1', metadata: { generation: generation + 1 }, subsets: [{ addresses: [{ ip: ipString(advertiseAddress) }] }] });
}

/** The IPs the leases name (ListLeases: each Endpoints' first address; others are skipped). */
export function masterLeaseIPs(values: string[]): string[] {
  return values.flatMap((v) => {
    try {
      const ip = (JSON.parse(v) as Endpoints).subsets?.[0]?.addresses?.[0]?.ip;
      return ip ? [ip] : [];
    } catch {
      return [];
    }
  });
}

export const KUBERNETES_SERVICE = 'kubernetes';
const NS = 'default';

export interface KubernetesServiceStores {
  services: Store;
  endpoints: Store;
  endpointslices: Store;
}

export interface KubernetesServiceTarget {
  clusterIP: string;
  /** This apiserver's secure port: the Service's target port. */
  port: number;
  /** Every live apiserver (this one included), from their master leases. */
  apiservers: { address: string; port: number }[];
}

/** The live apiservers of `t` grouped by port, addresses sorted; this apiserver's port first. */
function byPort(t: KubernetesServiceTarget): [number, string[]][] {
  const m = new Map<number, Set<string>>([[t.port, new Set()]]);
  for (const a of t.apiservers) m.set(a.port, (m.get(a.port) ?? new Set()).add(a.address));
  return [...m].filter(([, a]) => a.size).map(([port, a]) => [port, [...a].sort()]);
}

function desiredService(t: KubernetesServiceTarget): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: KUBERNETES_SERVICE, namespace: NS, labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP: t.clusterIP, ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: t.port }], sessionAffinity: 'None' },
  };
}

function desiredEndpoints(t: KubernetesServiceTarget): Endpoints {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: KUBERNETES_SERVICE, namespace: NS, labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: byPort(t).map(([port, addresses]) => ({ addresses: addresses.map((ip) => ({ ip })), ports: [{ name: 'https', port, protocol: 'TCP' }] })),
  };
}

function desiredSlice(t: KubernetesServiceTarget): EndpointSlice {
  // (one slice, of the apiservers on this one's port: apiservers of a cluster share their port)
  const addresses = byPort(t).find(([port]) => port === t.port)?.[1] ?? [];
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: KUBERNETES_SERVICE, namespace: NS, labels: { 'kubernetes.io/service-name': KUBERNETES_SERVICE } },
    // (endpointsadapter.go endpointSliceFromEndpoints: IPv6 when every address is)
    addressType: addresses.length && addresses.every((a) => isIPv6(a)) ? 'IPv6' : 'IPv4',
    endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true } })),
    ports: [{ name: 'https', port: t.port, protocol: 'TCP' }],
  };
}

/** Creates the object, or makes the fields `owned` names match when it exists. */
async function ensure(store: Store, want: Service | Endpoints | EndpointSlice, owned: string[], ctx: RequestContext): Promise<void> {
  const desired = want as KubeObject;
  try {
    await store.create(NS, desired, { ...ctx, warnings: [] });
    return;
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 409)) throw e;
  }
  await store.guaranteedUpdate(NS, KUBERNETES_SERVICE, { ...ctx, warnings: [] }, undefined, (cur) => {
    for (const f of owned) {
      if (f === 'spec.ports') (cur.spec as Record<string, unknown>).ports = (desired.spec as Record<string, unknown>).ports;
      else cur[f] = desired[f];
    }
    return cur;
  });
}

/**
 * Makes the `kubernetes` Service, Endpoints and EndpointSlice point at this apiserver. An
 * existing Service keeps its cluster IP (which cannot change); its ports are put right.
 */
export async function reconcileKubernetesService(stores: KubernetesServiceStores, target: KubernetesServiceTarget, ctx: RequestContext): Promise<void> {
  await ensure(stores.services, desiredService(target), ['spec.ports'], ctx);
  await reconcileKubernetesEndpoints(stores, target, ctx);
}

/**
 * Makes the `kubernetes` Endpoints and EndpointSlice list `target.apiservers` (1.32's lease
 * reconciler doReconcile). No apiserver at all is refused, as there: the leases listed empty are
 * taken for a fault of the storage, not for a cluster without apiservers.
 */
export async function reconcileKubernetesEndpoints(stores: Omit<KubernetesServiceStores, 'services'>, target: KubernetesServiceTarget, ctx: RequestContext): Promise<void> {
  if (!target.apiservers.length) throw new Error('no master IPs were listed in storage, refusing to erase all endpoints for the kubernetes service');
  await ensure(stores.endpoints, desiredEndpoints(target), ['subsets'], ctx);
  await ensure(stores.endpointslices, desiredSlice(target), ['addressType', 'endpoints', 'ports'], ctx);
}
