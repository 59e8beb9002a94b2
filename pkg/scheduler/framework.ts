// The scheduling framework in kube-scheduler's shape: one small interface per extension point,
// plugins returning a Status instead of throwing, and a typed CycleState per scheduling cycle.
import type { Node, Pod, PodDisruptionBudget } from '../api/types.js';
import type { NodeInfo } from './node-info.js';

export enum Code {
  Success,
  Error,
  Unschedulable,
  /** No preemption or retry on this node would help (e.g. a node selector mismatch). */
  UnschedulableAndUnresolvable,
  Skip,
}

export class Status {
  constructor(readonly code: Code, readonly reasons: string[] = [], readonly plugin = '') {}
  static success = new Status(Code.Success);
  static skip = new Status(Code.Skip);
  static unschedulable = (plugin: string, ...reasons: string[]) => new Status(Code.Unschedulable, reasons, plugin);
  static unresolvable = (plugin: string, ...reasons: string[]) => new Status(Code.UnschedulableAndUnresolvable, reasons, plugin);
  static error = (plugin: string, reason: string) => new Status(Code.Error, [reason], plugin);
  get ok(): boolean {
    return this.code === Code.Success || this.code === Code.Skip;
  }
}

/** A typed key into CycleState: PreFilter computes once, Filter reads it for every node. */
export class StateKey<T> {
  declare readonly _type: T;
  constructor(readonly name: string) {}
}

/** State a PreFilter writes that its PreFilterExtensions change: cloned with the CycleState. */
export interface ClonableState {
  clone(): this;
}

const isClonable = (v: unknown): v is ClonableState => typeof (v as ClonableState | undefined)?.clone === 'function';

export class CycleState {
  private data = new Map<string, unknown>();
  /** Plugins that returned Skip from PreFilter (their Filter is not run). */
  readonly skipFilter = new Set<string>();
  readonly skipScore = new Set<string>();
  write<T>(key: StateKey<T>, value: T): void {
    this.data.set(key.name, value);
  }
  read<T>(key: StateKey<T>): T | undefined {
    return this.data.get(key.name) as T | undefined;
  }
  /**
   * A copy for a dry run (preemption tries removing pods from a node): values that are
   * ClonableState are cloned, the rest (never changed after PreFilter) are shared.
   */
  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.data) c.data.set(k, isClonable(v) ? v.clone() : v);
    for (const k of this.skipFilter) c.skipFilter.add(k);
    for (const k of this.skipScore) c.skipScore.add(k);
    return c;
  }
}

export interface Plugin {
  readonly name: string;
}

/**
 * How a PreFilter's state follows a pod added to or removed from a node in a dry run (the
 * scheduler's preemption), as kube-scheduler's PreFilterExtensions: a plugin whose Filter reads
 * state about other pods (inter-pod affinity, topology spread) must implement it.
 */
export interface PreFilterExtensions {
  addPod(state: CycleState, pod: Pod, toAdd: Pod, node: NodeInfo): Status;
  removePod(state: CycleState, pod: Pod, toRemove: Pod, node: NodeInfo): Status;
}

export interface PreFilterPlugin extends Plugin {
  /** `nodes`: every node the scheduler knows, with its pods (the cycle's snapshot). */
  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status;
  preFilterExtensions?: PreFilterExtensions;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: Pod, node: NodeInfo): Status;
}

/** What a PostFilter sees: every node, and the plugins its dry runs may run again. */
export interface PostFilterHandle {
  nodes: ReadonlyMap<string, NodeInfo>;
  nodeList: readonly NodeInfo[];
  preFilter: PreFilterPlugin[];
  filter: FilterPlugin[];
  /** Pods nominated to `node` that `pod` must leave room for (of its priority or higher). */
  nominated(node: string, pod: Pod): Pod[];
  /** The PodDisruptionBudgets, whose victims preemption spares first. */
  pdbs?(): PodDisruptionBudget[];
}

/** A PostFilter's answer: nominate the pod to this node once these pods are gone. */
export interface PostFilterResult {
  nominatedNode: string;
  victims: Pod[];
}

/**
 * Runs when no node fits (kube-scheduler's preemption): a dry run; the scheduler acts on its
 * result. A string says why it cannot help; it ends the pod's FailedScheduling message.
 */
export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: Pod, statuses: ReadonlyMap<string, Status>, handle: PostFilterHandle): PostFilterResult | string;
}

export interface PreScorePlugin extends Plugin {
  /** `nodes`: the feasible nodes (to be scored); `all`: every node (the cycle's snapshot). */
  preScore(state: CycleState, pod: Pod, nodes: NodeInfo[], all: readonly NodeInfo[]): Status;
}

export const MaxNodeScore = 100;

export interface ScorePlugin extends Plugin {
  /** Weight applied after normalisation. */
  readonly weight: number;
  score(state: CycleState, pod: Pod, node: NodeInfo): number;
  /** Scales raw scores into [0, MaxNodeScore] (in place). */
  normalizeScore?(state: CycleState, pod: Pod, scores: { node: string; score: number }[]): void;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: Pod, node: string): Status;
  unreserve(state: CycleState, pod: Pod, node: string): void;
}

/** Runs before binding, once the pod's node is chosen (volume binding writes and waits here). */
export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: Pod, node: string): Promise<Status>;
}

export interface BindPlugin extends Plugin {
  bind(pod: Pod, node: string): Promise<Status>;
}

/**
 * A node's filter verdict: each plugin until one refuses. (A node's readiness reaches the
 * scheduler only as the taints the node lifecycle controller gives it, as in Kubernetes since
 * 1.17: a pod that tolerates them may go to a node that is not Ready.)
 */
export function runFilters(filters: FilterPlugin[], state: CycleState, pod: Pod, n: NodeInfo): Status {
  for (const pl of filters) {
    const st = pl.filter(state, pod, n);
    if (!st.ok) return st;
  }
  return Status.success;
}

export interface Profile {
  preFilter: PreFilterPlugin[];
  filter: FilterPlugin[];
  postFilter: PostFilterPlugin[];
  preScore: PreScorePlugin[];
  score: ScorePlugin[];
  reserve: ReservePlugin[];
  preBind: PreBindPlugin[];
  bind: BindPlugin[];
}

export type { Node, Pod };
