// What the scheduler knows of a node: the Node, the pods on it (bound or assumed), and the
// resources and host ports they take.
import { effectivePodRequests } from '../api/defaults.js';
import { parseQuantity, quantityToMilli } from '../api/quantity.js';
import type { Node, Pod } from '../api/types.js';

export interface Resources {
  milliCPU: number;
  memory: number;
  pods: number;
  /** Other extended resources by name (whole units). */
  other: Record<string, number>;
}

export const podKey = (p: Pod) => `${p.metadata?.namespace}/${p.metadata?.name}`;

export function podRequests(pod: Pod): Resources {
  const r = effectivePodRequests(pod);
  const other: Record<string, number> = {};
  for (const [k, v] of Object.entries(r)) if (k !== 'cpu' && k !== 'memory' && k !== 'pods') other[k] = v;
  return { milliCPU: r.cpu ?? 0, memory: r.memory ?? 0, pods: 1, other };
}

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

export function podHostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) if (p.hostPort) out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol ?? 'TCP', port: p.hostPort });
  }
  return out;
}

export function allocatableOf(node: Node): Resources {
  const a = (node.status?.allocatable ?? node.status?.capacity ?? {}) as Record<string, string>;
  const other: Record<string, number> = {};
  for (const [k, v] of Object.entries(a)) if (!['cpu', 'memory', 'pods'].includes(k)) other[k] = parseQuantity(v);
  return {
    milliCPU: a.cpu ? quantityToMilli(a.cpu) : 0,
    memory: a.memory ? parseQuantity(a.memory) : 0,
    pods: a.pods ? parseQuantity(a.pods) : 110,
    other,
  };
}

/** The pod has pod affinity or anti-affinity terms (required or preferred). */
export const hasPodAffinity = (p: Pod): boolean => !!(p.spec?.affinity?.podAffinity || p.spec?.affinity?.podAntiAffinity);
const hasRequiredAntiAffinity = (p: Pod): boolean => !!p.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length;

export class NodeInfo {
  readonly pods = new Map<string, { pod: Pod; req: Resources; assumed: boolean }>();
  /** The pods (by key) with pod (anti-)affinity terms: inter-pod affinity scoring reads only these. */
  readonly podsWithAffinity = new Map<string, Pod>();
  /** The pods (by key) with required anti-affinity terms: every pod's PreFilter checks them. */
  readonly podsWithRequiredAntiAffinity = new Map<string, Pod>();
  requested: Resources = { milliCPU: 0, memory: 0, pods: 0, other: {} };
  allocatable: Resources;
  usedPorts: HostPort[] = [];

  /** Ready=True, worked out once per node object (not once per pod and node). */

  constructor(public node: Node) {
    this.allocatable = allocatableOf(node);
  }

  get name(): string {
    return this.node.metadata!.name!;
  }

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = allocatableOf(node);
  }

  addPod(pod: Pod, assumed: boolean): void {
    const key = podKey(pod);
    if (this.pods.has(key)) this.removePod(key);
    const req = podRequests(pod);
    this.pods.set(key, { pod, req, assumed });
    this.requested.milliCPU += req.milliCPU;
    this.requested.memory += req.memory;
    this.requested.pods += 1;
    for (const [k, v] of Object.entries(req.other)) this.requested.other[k] = (this.requested.other[k] ?? 0) + v;
    this.usedPorts.push(...podHostPorts(pod));
    if (hasPodAffinity(pod)) {
      this.podsWithAffinity.set(key, pod);
      if (hasRequiredAntiAffinity(pod)) this.podsWithRequiredAntiAffinity.set(key, pod);
    }
  }

  removePod(key: string): boolean {
    const e = this.pods.get(key);
    if (!e) return false;
    this.pods.delete(key);
    this.podsWithAffinity.delete(key);
    this.podsWithRequiredAntiAffinity.delete(key);
    this.requested.milliCPU -= e.req.milliCPU;
    this.requested.memory -= e.req.memory;
    this.requested.pods -= 1;
    for (const [k, v] of Object.entries(e.req.other)) this.requested.other[k] = (this.requested.other[k] ?? 0) - v;
    const ports = podHostPorts(e.pod);
    this.usedPorts = this.usedPorts.filter((p) => !ports.some((q) => q.ip === p.ip && q.port === p.port && q.protocol === p.protocol));
    return true;
  }

  /** A copy whose pods can be added and removed without touching this one (dry runs). */
  clone(): NodeInfo {
    const c = new NodeInfo(this.node);
    for (const [k, e] of this.pods) c.pods.set(k, e);
    for (const [k, p] of this.podsWithAffinity) c.podsWithAffinity.set(k, p);
    for (const [k, p] of this.podsWithRequiredAntiAffinity) c.podsWithRequiredAntiAffinity.set(k, p);
    c.requested = { ...this.requested, other: { ...this.requested.other } };
    c.usedPorts = [...this.usedPorts];
    return c;
  }
}

