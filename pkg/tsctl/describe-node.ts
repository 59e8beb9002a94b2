// tsctl describe node as kubectl 1.32's describeNode writes it, in tab-ended cells for
// ./tabwriter.ts: Name, Roles, Labels, Annotations, CreationTimestamp, Taints, Unschedulable,
// the node's Lease, the Conditions table, Addresses, Capacity, Allocatable, System Info,
// PodCIDR(s), ProviderID, then describeNodeResource: every pod on the node that has not ended,
// with its cpu and memory requests and limits (PodRequestsAndLimits, overhead included; an
// in-place resize's requests as the container status reports them) and their share of the node's
// allocatable, and the Allocated resources totals.
import { podTotalsMilli } from '../api/pod-resources.js';
import { formatMilli, formatQuantity, quantityToMilli, type QuantityFormat } from '../api/quantity.js';
import type { Container, Lease, Node, Pod, Taint } from '../api/types.js';
import { humanDuration } from '../apiserver/rest/table.js';
import { annotationLines, labelLines, tabbedField } from './describe-meta.js';
import { rfc1123z } from './describe-pod.js';

type Requests = Record<string, string>;

/** Per resource the larger of two request lists, as kubectl's max() takes them (the second on a tie). */
function maxRequests(spec: Requests, status: Requests): Requests {
  const out: Requests = { ...spec };
  for (const [k, v] of Object.entries(status)) if (out[k] === undefined || quantityToMilli(out[k]!) <= quantityToMilli(v)) out[k] = v;
  return out;
}

/**
 * The pod with each app container's requests as kubectl 1.32's podRequests counts them for an
 * in-place resize (staging/src/k8s.io/kubectl/pkg/util/resource PodRequestsAndLimits): where the
 * container's status reports resources, the larger of spec and status per resource, or the
 * status's alone when the resize is Infeasible. Limits are the spec's (podLimits).
 */
export function resizeAwareRequests(pod: Pod): Pod {
  const statuses = new Map((pod.status?.containerStatuses ?? []).map((cs) => [cs.name, cs]));
  const infeasible = (pod.status as { resize?: string } | undefined)?.resize === 'Infeasible';
  let changed = false;
  const containers = (pod.spec?.containers ?? []).map((c): Container => {
    const actual = (statuses.get(c.name) as { resources?: { requests?: Requests } } | undefined)?.resources;
    if (!actual) return c;
    changed = true;
    const spec = (c.resources?.requests ?? {}) as Requests;
    const status = actual.requests ?? {};
    return { ...c, resources: { ...c.resources, requests: infeasible ? { ...status } : maxRequests(spec, status) } };
  });
  return changed ? { ...pod, spec: { ...pod.spec!, containers } } : pod;
}

/** The field selector kubectl lists a node's pods with: bound to it, not Succeeded or Failed. */
export const nodeNonTerminatedPods = (node: string) => `spec.nodeName=${node},status.phase!=Succeeded,status.phase!=Failed`;

/**
 * The format a sum of the pods' `resource` prints in: Go's Quantity.Add keeps the format of the
 * first quantity added (10Mi + 5Mi is 15Mi, 100M + 5Mi is 105242880 in DecimalSI).
 */
function formatOf(pods: Pod[], resource: string): QuantityFormat {
  for (const p of pods) {
    for (const c of [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])]) {
      for (const which of ['requests', 'limits'] as const) {
        const q = (c.resources?.[which] as Record<string, string> | undefined)?.[resource];
        if (q !== undefined) return /i$/.test(q) ? 'BinarySI' : 'DecimalSI';
      }
    }
  }
  return 'DecimalSI';
}

/** A total as its Quantity prints: cpu in milli-units ("250m", "1"), others in whole units. */
const shown = (resource: string, milli: number, format: QuantityFormat) => (resource === 'cpu' ? formatMilli(milli) : formatQuantity(Math.ceil(milli / 1000), format));

/** "<total> (<percent of allocatable>%)", the percent truncated as int64() does; 0% when the node has none. */
const share = (resource: string, milli: number, allocatableMilli: number, format: QuantityFormat) => `${shown(resource, milli, format)} (${allocatableMilli ? Math.trunc((milli / allocatableMilli) * 100) : 0}%)`;

/** findNodeRoles: the names after node-role.kubernetes.io/ and a non-empty kubernetes.io/role, sorted, each once. */
export function nodeRoles(labels: Record<string, string> | undefined): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return [...roles].sort();
}

/** Taint.ToString: "key[=value][:effect]". */
const taintText = (t: Taint) => `${t.key ?? ''}${t.value ? `=${t.value}` : ''}${t.effect ? `:${t.effect}` : ''}`;

/** printNodeTaintsMultiline: ordered by effect then key. */
function taintLines(taints: Taint[] | undefined): string[] {
  if (!taints?.length) return ['Taints:\t<none>'];
  const key = (t: Taint) => `${t.effect ?? ''},${t.key ?? ''}`;
  return [...taints].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)).map((t, i) => `${i ? '' : 'Taints:'}\t${taintText(t)}`);
}

/** A resource list by name (SortableResourceNames), each quantity as stored. */
const resourceRows = (m: Record<string, string>) => Object.keys(m).sort().map((k) => `  ${k}:\t${m[k]}`);

/** The node's Lease as describeNodeLease prints it, or the error that kept kubectl from getting it. */
export type NodeLease = Lease | { error: string };

/** What describe node shows of the node's pods: those listed, or none when they may not be listed ("Pods: not authorized"). */
export type NodePods = Pod[] | 'forbidden';

/** The lines of describe node up to its events. */
export function describeNode(node: Node, lease: NodeLease, pods: NodePods, now = Date.now()): string[] {
  const meta = node.metadata ?? {};
  const spec = node.spec ?? {};
  const status = node.status ?? {};
  const roles = nodeRoles(meta.labels);
  const out = [`Name:\t${meta.name ?? ''}`, `Roles:\t${roles.length ? roles.join(',') : '<none>'}`, ...tabbedField(labelLines('Labels', meta.labels)), ...tabbedField(annotationLines('Annotations', meta.annotations))];
  out.push(`CreationTimestamp:\t${rfc1123z(meta.creationTimestamp)}`, ...taintLines(spec.taints), `Unschedulable:\t${spec.unschedulable ?? false}`);
  if ('error' in lease) out.push(`Lease:\tFailed to get lease: ${lease.error}`);
  else {
    const l = lease.spec ?? {};
    out.push('Lease:', `  HolderIdentity:\t${l.holderIdentity ?? '<unset>'}`, `  AcquireTime:\t${l.acquireTime ? rfc1123z(l.acquireTime) : '<unset>'}`, `  RenewTime:\t${l.renewTime ? rfc1123z(l.renewTime) : '<unset>'}`);
  }
  if (status.conditions?.length) {
    out.push('Conditions:', '  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage', '  ----\t------\t-----------------\t------------------\t------\t-------');
    for (const c of status.conditions) out.push(`  ${c.type ?? ''} \t${c.status ?? ''} \t${rfc1123z(c.lastHeartbeatTime)} \t${rfc1123z(c.lastTransitionTime)} \t${c.reason ?? ''} \t${c.message ?? ''}`);
  }
  out.push('Addresses:', ...(status.addresses ?? []).map((a) => `  ${a.type ?? ''}:\t${a.address ?? ''}`));
  if (status.capacity && Object.keys(status.capacity).length) out.push('Capacity:', ...resourceRows(status.capacity));
  if (status.allocatable && Object.keys(status.allocatable).length) out.push('Allocatable:', ...resourceRows(status.allocatable));
  const info = status.nodeInfo ?? {};
  out.push(
    'System Info:',
    `  Machine ID:\t${info.machineID ?? ''}`,
    `  System UUID:\t${info.systemUUID ?? ''}`,
    `  Boot ID:\t${info.bootID ?? ''}`,
    `  Kernel Version:\t${info.kernelVersion ?? ''}`,
    `  OS Image:\t${info.osImage ?? ''}`,
    `  Operating System:\t${info.operatingSystem ?? ''}`,
    `  Architecture:\t${info.architecture ?? ''}`,
    `  Container Runtime Version:\t${info.containerRuntimeVersion ?? ''}`,
    `  Kubelet Version:\t${info.kubeletVersion ?? ''}`,
    // (deprecated and empty from 1.31's kubelet on, but 1.32's kubectl still prints it)
    `  Kube-Proxy Version:\t${info.kubeProxyVersion ?? ''}`,
  );
  if (spec.podCIDR) out.push(`PodCIDR:\t${spec.podCIDR}`);
  if (spec.podCIDRs?.length) out.push(`PodCIDRs:\t${spec.podCIDRs.join(',')}`);
  if (spec.providerID) out.push(`ProviderID:\t${spec.providerID}`);
  if (pods === 'forbidden') out.push('Pods:\tnot authorized');
  else out.push(...nodeResourceLines(node, pods, now));
  return out;
}

/** hugepages-<size>, as IsHugePageResourceName tells them. */
const isHugePages = (r: string) => r.startsWith('hugepages-');

/** A standard container resource (IsStandardContainerResourceName): not counted as an extended one. */
const standard = new Set(['cpu', 'memory', 'ephemeral-storage']);

/** describeNodeResource: the pods table, then the Allocated resources table with hugepages and extended resources after cpu, memory and ephemeral-storage. */
export function nodeResourceLines(node: Node, pods: Pod[], now = Date.now()): string[] {
  const alloc = node.status?.allocatable && Object.keys(node.status.allocatable).length ? node.status.allocatable : (node.status?.capacity ?? {});
  const allocMilli = (r: string) => (alloc[r] ? quantityToMilli(alloc[r]!) : 0);
  const lines = [
    `Non-terminated Pods:\t(${pods.length} in total)`,
    '  Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge',
    '  ---------\t----\t\t------------\t----------\t---------------\t-------------\t---',
  ];
  for (const p of pods) {
    const req = podTotalsMilli(resizeAwareRequests(p), 'requests', { overhead: true });
    const lim = podTotalsMilli(p, 'limits', { overhead: true });
    const cell = (r: string, t: Map<string, number>) => share(r, t.get(r) ?? 0, allocMilli(r), formatOf([p], r));
    const created = p.metadata?.creationTimestamp;
    lines.push(`  ${p.metadata?.namespace ?? ''}\t${p.metadata?.name ?? ''}\t\t${cell('cpu', req)}\t${cell('cpu', lim)}\t${cell('memory', req)}\t${cell('memory', lim)}\t${created ? humanDuration(now - Date.parse(created)) : '<unknown>'}`);
  }
  const totals = (which: 'requests' | 'limits') => {
    const sum = new Map<string, number>();
    for (const p of pods) for (const [r, v] of podTotalsMilli(which === 'requests' ? resizeAwareRequests(p) : p, which, { overhead: true })) sum.set(r, (sum.get(r) ?? 0) + v);
    return sum;
  };
  const reqs = totals('requests');
  const limits = totals('limits');
  lines.push('Allocated resources:', '  (Total limits may be over 100 percent, i.e., overcommitted.)', '  Resource\tRequests\tLimits', '  --------\t--------\t------');
  const names = Object.keys(alloc);
  for (const r of ['cpu', 'memory', 'ephemeral-storage', ...names.filter(isHugePages).sort()]) {
    lines.push(`  ${r}\t${share(r, reqs.get(r) ?? 0, allocMilli(r), formatOf(pods, r))}\t${share(r, limits.get(r) ?? 0, allocMilli(r), formatOf(pods, r))}`);
  }
  // (an extended resource: its totals with no share)
  for (const r of names.filter((n) => !isHugePages(n) && !standard.has(n) && n !== 'pods').sort()) {
    lines.push(`  ${r}\t${shown(r, reqs.get(r) ?? 0, formatOf(pods, r))}\t${shown(r, limits.get(r) ?? 0, formatOf(pods, r))}`);
  }
  return lines;
}
