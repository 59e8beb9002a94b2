// The kubelet's predicateAdmitHandler (pkg/kubelet/lifecycle/predicate.go): a pod that reaches
// this node without the scheduler's checks (its author set spec.nodeName) is checked here as the
// scheduler would have checked it — the OS label and field, then generalFilter: resources against
// the active pods already admitted, nodeSelector and required node affinity, host ports, and
// untolerated NoExecute taints — and failed at admission with the first reason, not run.
import { findUntoleratedTaint, podMatchesNodeSelectorAndAffinity } from '../api/scheduling.js';
import { isExtendedResourceName } from '../api/resource-names.js';
import type { Node, Pod } from '../api/types.js';
import { NodeInfo, podHostPorts, podRequests } from '../scheduler/node-info.js';
import { isCriticalPod } from './eviction-ranking.js';
import { isStaticPod } from './static-pod-manifest.js';
import type { Requirement } from './critical-preemption.js';

export interface AdmitFailure {
  /** The pod's status reason and the event's: OutOfcpu, NodeAffinity, ... */
  reason: string;
  /** The event's message (the status says "Pod was rejected: " before it). */
  message: string;
}

/** An InsufficientResourceError: its reason is OutOf<resource>, its message names the amounts; `lacking` is GetInsufficientAmount. */
const insufficient = (resource: string, requested: number, used: number, capacity: number): AdmitFailure & { lacking: Requirement } => ({
  lacking: { resource, quantity: Math.ceil(requested) - (Math.ceil(capacity) - Math.ceil(used)) },
  reason: `OutOf${resource}`,
  message: `Node didn't have enough resource: ${resource}, requested: ${Math.ceil(requested)}, used: ${Math.ceil(used)}, capacity: ${Math.ceil(capacity)}`,
});

/** A PredicateFailureError: its reason is the plugin's name; its message (since 1.31) the plugin's reason too. */
const predicate = (name: string, desc: string): AdmitFailure => ({ reason: name, message: `Predicate ${name} failed: ${desc}` });

/** v1helper.IsExtendedResourceName: a qualified name outside kubernetes.io (not requests.*). */

/**
 * Why the kubelet would refuse to admit `pod` on `node` beside `otherPods` (the active pods it
 * admitted before), or undefined. As upstream's Admit: only the first failure is told; a critical
 * pod short only of resources is admitted (admitPredicates says what to preempt for it).
 */
export function admitPredicatesFailure(pod: Pod, node: Node, otherPods: Pod[]): AdmitFailure | undefined {
  return admitPredicates(pod, node, otherPods).failure;
}

/**
 * The predicates with the CriticalPodAdmissionHandler's say: a critical pod short only of
 * resources is admitted once pods are preempted for what it lacks (`preempt`, each resource's
 * shortfall: cpu in milli-CPUs); one that also fails another predicate is refused for that one,
 * resource reasons left out, as HandleAdmissionFailure returns only the others.
 */
export function admitPredicates(pod: Pod, node: Node, otherPods: Pod[]): { failure?: AdmitFailure; preempt?: Requirement[] } {
  const failure = (f: AdmitFailure | undefined) => (f ? { failure: f } : {});
  // (rejectPodAdmissionBasedOnOSSelector: the pod's kubernetes.io/os label against the node's, this node being linux)
  const os = pod.metadata?.labels?.['kubernetes.io/os'];
  if (os !== undefined && os !== 'linux') return failure({ reason: 'PodOSSelectorNodeLabelDoesNotMatch', message: "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label" });
  if (pod.spec?.os?.name && pod.spec.os.name !== 'linux') return failure({ reason: 'PodOSNotSupported', message: "Failed to admit pod as the OS field doesn't match node OS" });

  const info = new NodeInfo(node);
  for (const p of otherPods) info.addPod(p, false);
  const req = podRequests(pod);
  // (removeMissingExtendedResources: an extended resource the node has none of is a
  // cluster-level one, not the kubelet's to check)
  for (const k of Object.keys(req.other)) if (isExtendedResourceName(k) && !(k in info.allocatable.other)) delete req.other[k];

  // (noderesources.Fits, in its order: pods, cpu, memory, ephemeral-storage, then the others)
  const reasons: (AdmitFailure & { lacking?: Requirement })[] = [];
  const used = info.requested;
  const alloc = info.allocatable;
  if (used.pods + 1 > alloc.pods) reasons.push(insufficient('pods', 1, used.pods, alloc.pods));
  if (req.milliCPU > 0 && req.milliCPU > alloc.milliCPU - used.milliCPU) reasons.push(insufficient('cpu', req.milliCPU, used.milliCPU, alloc.milliCPU));
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) reasons.push(insufficient('memory', req.memory, used.memory, alloc.memory));
  const others = Object.keys(req.other).sort((a, b) => Number(b === 'ephemeral-storage') - Number(a === 'ephemeral-storage'));
  for (const k of others) {
    const v = req.other[k]!;
    const have = alloc.other[k] ?? 0;
    const taken = used.other[k] ?? 0;
    if (v > 0 && v > have - taken) reasons.push(insufficient(k, v, taken, have));
  }
  if (!podMatchesNodeSelectorAndAffinity(pod, node)) reasons.push(predicate('NodeAffinity', "node(s) didn't match Pod's node affinity/selector"));
  if (pod.spec?.nodeName && pod.spec.nodeName !== node.metadata?.name) reasons.push(predicate('NodeName', "node(s) didn't match the requested node name"));
  const want = podHostPorts(pod);
  const conflicts = want.some((w) => info.usedPorts.some((u) => u.port === w.port && u.protocol === w.protocol && (u.ip === w.ip || u.ip === '0.0.0.0' || w.ip === '0.0.0.0')));
  if (conflicts) reasons.push(predicate('NodePorts', "node(s) didn't have free ports for the requested pod ports"));
  // (the kubelet minds only NoExecute taints, and not for static pods)
  if (!isStaticPod(pod) && findUntoleratedTaint(node.spec?.taints ?? [], pod.spec?.tolerations ?? [], (t) => t.effect === 'NoExecute')) {
    reasons.push(predicate('TaintToleration', "node(s) had taints that the pod didn't tolerate"));
  }
  if (!reasons.length) return {};
  if (isCriticalPod(pod)) {
    const others = reasons.filter((r) => !r.lacking);
    if (!others.length) return { preempt: reasons.map((r) => r.lacking!) };
    reasons.splice(0, reasons.length, ...others);
  }
  const { reason, message } = reasons[0]!;
  return failure({ reason, message });
}
