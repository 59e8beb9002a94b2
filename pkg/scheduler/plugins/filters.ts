// Filter plugins: NodeUnschedulable, NodeName, NodeResourcesFit, NodeAffinity (nodeSelector and
// required affinity), TaintToleration, NodePorts. Reasons read as kube-scheduler's do, because
// they are counted into the FailedScheduling message.
import { findUntoleratedTaint, isSchedulingTaint, podMatchesNodeSelectorAndAffinity, toleratesTaint } from '../../api/scheduling.js';
import { CycleState, StateKey, Status, type FilterPlugin, type PreFilterPlugin } from '../framework.js';
import type { Pod } from '../framework.js';
import { podHostPorts, podRequests, type HostPort, type NodeInfo, type Resources } from '../node-info.js';

const UNSCHEDULABLE_TAINT = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

export const nodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  filter(_s, pod, n) {
    if (!n.node.spec?.unschedulable) return Status.success;
    // (TolerationsTolerateTaint against the taint a cordon stands for: key, effect, operator and value all count)
    const tolerated = (pod.spec?.tolerations ?? []).some((t) => toleratesTaint(t, UNSCHEDULABLE_TAINT));
    return tolerated ? Status.success : Status.unresolvable('NodeUnschedulable', 'node(s) were unschedulable');
  },
};

export const nodeName: FilterPlugin = {
  name: 'NodeName',
  filter(_s, pod, n) {
    const want = pod.spec?.nodeName;
    return !want || want === n.name ? Status.success : Status.unresolvable('NodeName', "node(s) didn't match the requested node name");
  },
};

const requestsKey = new StateKey<Resources>('NodeResourcesFit');

export const nodeResourcesFit: PreFilterPlugin & FilterPlugin = {
  name: 'NodeResourcesFit',
  preFilter(state: CycleState, pod: Pod) {
    state.write(requestsKey, podRequests(pod));
    return Status.success;
  },
  filter(state, pod, n) {
    const req = state.read(requestsKey) ?? podRequests(pod);
    // The common case, a node with room, allocates nothing.
    if (fits(req, n)) return Status.success;
    const reasons: string[] = [];
    if (n.requested.pods + 1 > n.allocatable.pods) reasons.push('Too many pods');
    if (req.milliCPU > 0 && n.requested.milliCPU + req.milliCPU > n.allocatable.milliCPU) reasons.push('Insufficient cpu');
    if (req.memory > 0 && n.requested.memory + req.memory > n.allocatable.memory) reasons.push('Insufficient memory');
    for (const [k, v] of Object.entries(req.other)) {
      if (v > 0 && (n.requested.other[k] ?? 0) + v > (n.allocatable.other[k] ?? 0)) reasons.push(`Insufficient ${k}`);
    }
    return reasons.length ? Status.unschedulable('NodeResourcesFit', ...reasons) : Status.success;
  },
};

function fits(req: Resources, n: NodeInfo): boolean {
  if (n.requested.pods + 1 > n.allocatable.pods) return false;
  if (req.milliCPU > 0 && n.requested.milliCPU + req.milliCPU > n.allocatable.milliCPU) return false;
  if (req.memory > 0 && n.requested.memory + req.memory > n.allocatable.memory) return false;
  for (const k in req.other) {
    const v = req.other[k]!;
    if (v > 0 && (n.requested.other[k] ?? 0) + v > (n.allocatable.other[k] ?? 0)) return false;
  }
  return true;
}

export const nodeAffinity: PreFilterPlugin & FilterPlugin = {
  name: 'NodeAffinity',
  // No nodeSelector and no required affinity: every node passes (kube-scheduler skips it too).
  preFilter(state, pod) {
    if (Object.keys(pod.spec?.nodeSelector ?? {}).length || pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution) return Status.success;
    state.skipFilter.add('NodeAffinity');
    return Status.skip;
  },
  filter(_s, pod, n) {
    return podMatchesNodeSelectorAndAffinity(pod, n.node) ? Status.success : Status.unresolvable('NodeAffinity', "node(s) didn't match Pod's node affinity/selector");
  },
};

export const taintToleration: FilterPlugin = {
  name: 'TaintToleration',
  filter(_s, pod, n) {
    const taint = findUntoleratedTaint(n.node.spec?.taints ?? [], pod.spec?.tolerations ?? [], isSchedulingTaint);
    if (!taint) return Status.success;
    return Status.unresolvable('TaintToleration', `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
  },
};

const portsKey = new StateKey<HostPort[]>('NodePorts');

function conflicts(a: HostPort, b: HostPort): boolean {
  if (a.port !== b.port || a.protocol !== b.protocol) return false;
  return a.ip === b.ip || a.ip === '0.0.0.0' || b.ip === '0.0.0.0';
}

export const nodePorts: PreFilterPlugin & FilterPlugin = {
  name: 'NodePorts',
  preFilter(state, pod) {
    const ports = podHostPorts(pod);
    if (!ports.length) {
      state.skipFilter.add('NodePorts');
      return Status.skip;
    }
    state.write(portsKey, ports);
    return Status.success;
  },
  filter(state, _pod, n: NodeInfo) {
    const want = state.read(portsKey) ?? [];
    return want.some((w) => n.usedPorts.some((u) => conflicts(w, u))) ? Status.unschedulable('NodePorts', "node(s) didn't have free ports for the requested pod ports") : Status.success;
  },
};
