// The kubelet's CriticalPodAdmissionHandler (pkg/kubelet/preemption/preemption.go): a critical
// pod (static, mirror, or of system-critical priority) that the node can admit but for resources
// is not refused: pods it may preempt are killed to free what it lacks, and it is admitted. The
// pods are chosen to disturb as little as possible: BestEffort ones first, then Burstable, then
// Guaranteed, each class only as far as the classes before it fall short, and within a class the
// pod nearest to what is still lacking, the smaller request winning a tie (memory, then cpu).
import type { Pod } from '../api/types.js';
import { podQOSClass } from '../api/defaults.js';
import { podRequests } from '../scheduler/node-info.js';
import { isCriticalPod } from './eviction-ranking.js';

/** The preempted pod's status message and Warning event (reason Preempting, events.PreemptContainer). */
export const PREEMPT_REASON = 'Preempting';
export const PREEMPT_MESSAGE = 'Preempted in order to admit critical pod';
/** Its DisruptionTarget condition's message (reason TerminationByKubelet). */
export const PREEMPT_DISRUPTION_MESSAGE = 'Pod was preempted by Kubelet to accommodate a critical pod.';

/** What the pod lacks of one resource (an InsufficientResourceError's GetInsufficientAmount): cpu in milli-CPUs, pods in pods. */
export interface Requirement {
  resource: string;
  quantity: number;
}

export class PreemptionError extends Error {}

/** GetResourceRequest: the pod's request of a resource (cpu in milli-CPUs, pods always 1). */
function request(pod: Pod, resource: string): number {
  const r = podRequests(pod);
  if (resource === 'pods') return 1;
  if (resource === 'cpu') return r.milliCPU;
  if (resource === 'memory') return r.memory;
  return r.other[resource] ?? 0;
}

/** kubetypes.Preemptable: a critical pod preempts any pod that is not, otherwise the higher priority the lower. */
export function preemptable(preemptor: Pod, preemptee: Pod): boolean {
  if (isCriticalPod(preemptor) && !isCriticalPod(preemptee)) return true;
  const a = preemptor.spec?.priority;
  const b = preemptee.spec?.priority;
  return a !== undefined && b !== undefined && a > b;
}

/** admissionRequirementList.subtract: what is still lacking once `pods` are gone. */
function subtract(reqs: Requirement[], pods: Pod[]): Requirement[] {
  const out: Requirement[] = [];
  for (const r of reqs) {
    let q = r.quantity;
    for (const p of pods) {
      q -= request(p, r.resource);
      if (q <= 0) break;
    }
    if (q > 0) out.push({ resource: r.resource, quantity: q });
  }
  return out;
}

/** toString of the list, as the kubelet's errors print it: [(res: cpu, q: 1000), ]. */
const reqText = (reqs: Requirement[]) => `[${reqs.map((r) => `(res: ${r.resource}, q: ${r.quantity}), `).join('')}]`;

/** distance: the squared fraction of each requirement the pod leaves unmet. */
function distance(reqs: Requirement[], pod: Pod): number {
  let d = 0;
  for (const r of reqs) {
    const left = r.quantity - request(pod, r.resource);
    if (left > 0) d += (left / r.quantity) ** 2;
  }
  return d;
}

/** smallerResourceRequest: memory first, then cpu; equal counts as smaller. */
function smaller(a: Pod, b: Pod): boolean {
  for (const res of ['memory', 'cpu']) {
    const x = request(a, res);
    const y = request(b, res);
    if (x !== y) return x < y;
  }
  return true;
}

/** getPodsToPreemptByDistance: repeatedly the pod nearest to what is still lacking. */
function byDistance(candidates: Pod[], reqs: Requirement[]): Pod[] {
  const pods = [...candidates];
  const chosen: Pod[] = [];
  while (reqs.length) {
    if (!pods.length) throw new PreemptionError(`no set of running pods found to reclaim resources: ${reqText(reqs)}`);
    let best = reqs.length + 1;
    let at = 0;
    pods.forEach((p, i) => {
      const d = distance(reqs, p);
      if (d < best || (d === best && smaller(p, pods[at]!))) [best, at] = [d, i];
    });
    const p = pods[at]!;
    reqs = subtract(reqs, [p]);
    chosen.push(p);
    // (the last one takes its place, as the kubelet's slice does)
    pods[at] = pods[pods.length - 1]!;
    pods.pop();
  }
  return chosen;
}

/**
 * getPodsToPreempt: the pods of `active` to kill so that `preemptor` gets what it lacks, or a
 * PreemptionError ("no set of running pods found to reclaim resources: [(res: cpu, q: 1000), ]").
 */
export function podsToPreempt(preemptor: Pod, active: Pod[], reqs: Requirement[]): Pod[] {
  const byQOS = { BestEffort: [] as Pod[], Burstable: [] as Pod[], Guaranteed: [] as Pod[] };
  for (const p of active) if (preemptable(preemptor, p)) byQOS[podQOSClass(p)].push(p);
  const { BestEffort: bestEffort, Burstable: burstable, Guaranteed: guaranteed } = byQOS;
  const unable = subtract(reqs, [...bestEffort, ...burstable, ...guaranteed]);
  if (unable.length) throw new PreemptionError(`no set of running pods found to reclaim resources: ${reqText(unable)}`);
  const guaranteedToEvict = byDistance(guaranteed, subtract(reqs, [...bestEffort, ...burstable]));
  const burstableToEvict = byDistance(burstable, subtract(reqs, [...bestEffort, ...guaranteedToEvict]));
  const bestEffortToEvict = byDistance(bestEffort, subtract(reqs, [...burstableToEvict, ...guaranteedToEvict]));
  return [...bestEffortToEvict, ...burstableToEvict, ...guaranteedToEvict];
}
