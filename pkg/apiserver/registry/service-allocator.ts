// Cluster IPs and node ports of Services, one etcd key per allocation
// (/registry/ranges/serviceips/<ip>, /registry/ranges/servicenodeports/<port>) created in the
// Service's own write transaction and deleted in its delete's (Store + Storage holdings): a
// crash leaves either both or neither, and etcd refuses a second claim of the same key. Kubernetes
// keeps a bitmap per range instead; the errors are Kubernetes' (pkg/registry/core/service).
import type { FieldError } from '../../api/field-error.js';
import { goStrings, invalid } from '../../api/field-error.js';
import { CLUSTER_IP_NONE, needsClusterIP, needsHealthCheckNodePort, needsNodePorts } from '../../api/defaults-service.js';
import type { KubeObject, Service } from '../../api/types.js';
import { cidrContains, cidrSize, formatCidr, formatIPv4, isIPv4, parseCidr, parseIPv4, type Cidr } from '../../network/cidr.js';
import * as errors from '../errors.js';
import type { ApiError } from '../errors.js';

export const SERVICE_IP_PREFIX = '/registry/ranges/serviceips/';
export const NODE_PORT_PREFIX = '/registry/ranges/servicenodeports/';

export interface PortRange {
  min: number;
  max: number;
}

/** What a Store needs to make an object hold allocations: pick them, name their keys, explain a clash. */
export interface Allocator {
  /**
   * Fills in what obj must hold and does not yet (an unset cluster IP or node port), choosing
   * values whose keys are not in `avoid`, and checks values the client asked for (422 when out
   * of range). Returns the keys it picked itself.
   */
  allocate(obj: KubeObject, old: KubeObject | undefined, avoid: Set<string>): Promise<string[]>;
  /** The etcd keys obj holds. */
  keysOf(obj: KubeObject): string[];
  /** The error for a key another object holds: 422 for one the client asked for, 500 when picking keeps failing. */
  takenError(obj: KubeObject, key: string, picked: boolean): ApiError;
}

/** Reads the keys already allocated under a prefix. */
export type KeyLister = (prefix: string) => Promise<string[]>;

/** `30000-32767`. */
export function parsePortRange(text: string): PortRange {
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  const r = m ? { min: Number(m[1]), max: Number(m[2]) } : undefined;
  if (!r || r.min < 1 || r.max > 65535 || r.min > r.max) throw new Error(`invalid port range "${text}": want MIN-MAX within 1-65535`);
  return r;
}

/**
 * Kubernetes' calculateRangeOffset: the lower part of a range is kept for values clients ask
 * for (the `kubernetes` Service's first IP, a DNS service's .10); random picks prefer the rest.
 */
export function rangeOffset(size: number): number {
  if (size <= 16) return 0;
  return Math.min(256, Math.max(16, Math.floor(size / 16)));
}

/** A free value among `size` ones (0-based), preferring the upper band; undefined when full. */
export function pickFree(size: number, used: (i: number) => boolean, random = Math.random): number | undefined {
  const offset = rangeOffset(size);
  for (const [lo, hi] of [[offset, size], [0, offset]] as const) {
    const n = hi - lo;
    if (n <= 0) continue;
    const start = Math.floor(random() * n);
    for (let k = 0; k < n; k++) {
      const i = lo + ((start + k) % n);
      if (!used(i)) return i;
    }
  }
  return undefined;
}

export class ServiceAllocator implements Allocator {
  private readonly cidr: Cidr;

  constructor(
    serviceCIDR: string,
    readonly nodePorts: PortRange,
    private readonly listKeys: KeyLister,
  ) {
    this.cidr = parseCidr(serviceCIDR);
    if (this.cidr.prefix > 30) throw new Error(`service CIDR ${serviceCIDR} is too small: need at least a /30`);
  }

  get serviceCIDR(): string {
    return formatCidr(this.cidr);
  }

  /** The first usable address: the `kubernetes` Service's cluster IP. */
  get firstIP(): string {
    return formatIPv4(this.cidr.network + 1);
  }

  /** Usable addresses: the network and broadcast addresses are not handed out. */
  private ipInRange(ip: string): boolean {
    if (!isIPv4(ip)) return false;
    const n = parseIPv4(ip);
    return cidrContains(this.cidr, n) && n !== this.cidr.network && n !== this.cidr.network + cidrSize(this.cidr) - 1;
  }

  keysOf(obj: KubeObject): string[] {
    const svc = obj as Service;
    const keys: string[] = [];
    const ip = svc.spec?.clusterIP;
    if (needsClusterIP(svc) && ip && ip !== CLUSTER_IP_NONE) keys.push(SERVICE_IP_PREFIX + ip);
    for (const p of svc.spec?.ports ?? []) {
      const k = NODE_PORT_PREFIX + p.nodePort;
      if (p.nodePort && !keys.includes(k)) keys.push(k);
    }
    const hc = svc.spec?.healthCheckNodePort;
    if (hc && !keys.includes(NODE_PORT_PREFIX + hc)) keys.push(NODE_PORT_PREFIX + hc);
    return keys;
  }

  async allocate(obj: KubeObject, old: KubeObject | undefined, avoid: Set<string>): Promise<string[]> {
    const svc = obj as Service;
    const spec = (svc.spec ??= {});
    const held = new Set(old ? this.keysOf(old) : []);
    const picked: string[] = [];
    const errs: FieldError[] = [];
    // Values the client asked for (not already this Service's) must be in range.
    const ip = spec.clusterIP;
    if (needsClusterIP(svc) && ip && ip !== CLUSTER_IP_NONE && !held.has(SERVICE_IP_PREFIX + ip) && !avoid.has(SERVICE_IP_PREFIX + ip) && !this.ipInRange(ip)) {
      errs.push(invalid('spec.clusterIPs', goStrings(spec.clusterIPs ?? [ip]), `failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.serviceCIDR}`));
    }
    (spec.ports ?? []).forEach((p, i) => {
      const n = p.nodePort;
      if (n && !held.has(NODE_PORT_PREFIX + n) && !avoid.has(NODE_PORT_PREFIX + n) && (n < this.nodePorts.min || n > this.nodePorts.max)) {
        errs.push(invalid(`spec.ports[${i}].nodePort`, n, `provided port is not in the valid range. The range of valid ports is ${this.nodePorts.min}-${this.nodePorts.max}`));
      }
    });
    const hc = spec.healthCheckNodePort;
    if (hc && !held.has(NODE_PORT_PREFIX + hc) && !avoid.has(NODE_PORT_PREFIX + hc) && (hc < this.nodePorts.min || hc > this.nodePorts.max)) {
      errs.push(invalid('spec.healthCheckNodePort', hc, `provided port is not in the valid range. The range of valid ports is ${this.nodePorts.min}-${this.nodePorts.max}`));
    }
    if (errs.length) throw errors.invalid('Service', '', svc.metadata?.name ?? '', errs);
    // After a clash, look at what is taken instead of guessing again.
    const known = avoid.size ? new Set([...avoid, ...(await this.listKeys(SERVICE_IP_PREFIX)), ...(await this.listKeys(NODE_PORT_PREFIX))]) : avoid;
    if (needsClusterIP(svc) && (!ip || avoid.has(SERVICE_IP_PREFIX + ip))) {
      const size = cidrSize(this.cidr) - 2;
      const i = pickFree(size, (i) => known.has(SERVICE_IP_PREFIX + formatIPv4(this.cidr.network + 1 + i)));
      if (i === undefined) throw errors.internal('failed to allocate a serviceIP: range is full');
      spec.clusterIP = formatIPv4(this.cidr.network + 1 + i);
      spec.clusterIPs = [spec.clusterIP];
      picked.push(SERVICE_IP_PREFIX + spec.clusterIP);
    }
    if (needsNodePorts(svc)) {
      const mine = new Set(this.keysOf(obj).filter((k) => k.startsWith(NODE_PORT_PREFIX) && !avoid.has(k)));
      for (const p of spec.ports ?? []) {
        if (p.nodePort && !avoid.has(NODE_PORT_PREFIX + p.nodePort)) continue;
        // As Kubernetes does, entries with the same port number (TCP and UDP 53) share one node port.
        const sibling = spec.ports!.find((q) => q !== p && q.port === p.port && q.nodePort && !avoid.has(NODE_PORT_PREFIX + q.nodePort));
        if (sibling) {
          p.nodePort = sibling.nodePort;
          continue;
        }
        p.nodePort = this.pickNodePort(known, mine, picked);
      }
    }
    if (needsHealthCheckNodePort(svc) && (!spec.healthCheckNodePort || avoid.has(NODE_PORT_PREFIX + spec.healthCheckNodePort))) {
      const mine = new Set(this.keysOf(obj).filter((k) => k.startsWith(NODE_PORT_PREFIX) && !avoid.has(k)));
      spec.healthCheckNodePort = this.pickNodePort(known, mine, picked);
    }
    return picked;
  }

  /** A free node port (not known taken, not already this Service's), recorded as picked. */
  private pickNodePort(known: Set<string>, mine: Set<string>, picked: string[]): number {
    const size = this.nodePorts.max - this.nodePorts.min + 1;
    const i = pickFree(size, (i) => known.has(NODE_PORT_PREFIX + (this.nodePorts.min + i)) || mine.has(NODE_PORT_PREFIX + (this.nodePorts.min + i)));
    if (i === undefined) throw errors.internal('failed to allocate a nodePort: range is full');
    const port = this.nodePorts.min + i;
    mine.add(NODE_PORT_PREFIX + port);
    picked.push(NODE_PORT_PREFIX + port);
    return port;
  }

  takenError(obj: KubeObject, key: string, picked: boolean): ApiError {
    const svc = obj as Service;
    const name = svc.metadata?.name ?? '';
    if (key.startsWith(SERVICE_IP_PREFIX)) {
      const ip = key.slice(SERVICE_IP_PREFIX.length);
      if (picked) return errors.internal(`failed to allocate a serviceIP: ${ip} was taken while allocating`);
      return errors.invalid('Service', '', name, [invalid('spec.clusterIPs', goStrings(svc.spec?.clusterIPs ?? [ip]), `failed to allocate IP ${ip}: provided IP is already allocated`)]);
    }
    const port = Number(key.slice(NODE_PORT_PREFIX.length));
    if (picked) return errors.internal(`failed to allocate a nodePort: ${port} was taken while allocating`);
    if (svc.spec?.healthCheckNodePort === port && !(svc.spec.ports ?? []).some((p) => p.nodePort === port)) {
      return errors.invalid('Service', '', name, [invalid('spec.healthCheckNodePort', port, 'provided port is already allocated')]);
    }
    const i = Math.max(0, (svc.spec?.ports ?? []).findIndex((p) => p.nodePort === port));
    return errors.invalid('Service', '', name, [invalid(`spec.ports[${i}].nodePort`, port, 'provided port is already allocated')]);
  }
}
