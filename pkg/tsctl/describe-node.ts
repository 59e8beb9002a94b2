// The node's pods and what they ask of it, as kubectl 1.32's describeNodeResource and its
// "Allocated resources" table write them: every pod on the node that has not ended, with its
// cpu and memory requests and limits (PodRequests/PodLimits) and their share of the node's
// allocatable, then the totals of cpu, memory and ephemeral-storage.
import { podTotalsMilli } from '../api/pod-resources.js';
import { formatMilli, formatQuantity, quantityToMilli, type QuantityFormat } from '../api/quantity.js';
import type { Node, Pod } from '../api/types.js';
import { humanDuration } from '../apiserver/rest/table.js';
import { tabbed } from './describe-events.js';

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

export function nodeResourceLines(node: Node, pods: Pod[], now = Date.now()): string[] {
  const alloc = node.status?.allocatable && Object.keys(node.status.allocatable).length ? node.status.allocatable : (node.status?.capacity ?? {});
  const allocMilli = (r: string) => (alloc[r] ? quantityToMilli(alloc[r]!) : 0);
  const rows = pods.map((p) => {
    const req = podTotalsMilli(p, 'requests');
    const lim = podTotalsMilli(p, 'limits');
    const cell = (r: string, t: Map<string, number>) => share(r, t.get(r) ?? 0, allocMilli(r), formatOf([p], r));
    const created = p.metadata?.creationTimestamp;
    return [`  ${p.metadata?.namespace ?? ''}`, p.metadata?.name ?? '', '', cell('cpu', req), cell('cpu', lim), cell('memory', req), cell('memory', lim), created ? humanDuration(now - Date.parse(created)) : '<unknown>'];
  });
  const lines = [`Non-terminated Pods:  (${pods.length} in total)`, ...tabbed([['  Namespace', 'Name', '', 'CPU Requests', 'CPU Limits', 'Memory Requests', 'Memory Limits', 'Age'], ['  ---------', '----', '', '------------', '----------', '---------------', '-------------', '---'], ...rows])];
  const totals = (which: 'requests' | 'limits') => {
    const sum = new Map<string, number>();
    for (const p of pods) for (const [r, v] of podTotalsMilli(p, which)) sum.set(r, (sum.get(r) ?? 0) + v);
    return sum;
  };
  const reqs = totals('requests');
  const limits = totals('limits');
  const resourceRows = ['cpu', 'memory', 'ephemeral-storage'].map((r) => [`  ${r}`, share(r, reqs.get(r) ?? 0, allocMilli(r), formatOf(pods, r)), share(r, limits.get(r) ?? 0, allocMilli(r), formatOf(pods, r))]);
  lines.push('Allocated resources:', '  (Total limits may be over 100 percent, i.e., overcommitted.)', ...tabbed([['  Resource', 'Requests', 'Limits'], ['  --------', '--------', '------'], ...resourceRows]));
  return lines;
}
