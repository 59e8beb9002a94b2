// The scheduling framework in kube-scheduler's shape: one small interface per extension point,
// plugins returning a Status instead of throwing, and a typed CycleState per scheduling cycle.
import type { Node, Pod } from '../api/types.js';
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
}

export interface Plugin {
  readonly name: string;
}

export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: Pod): Status;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: Pod, node: NodeInfo): Status;
}

/** Runs when no node fits (kube-scheduler uses it for preemption); here it reports. */
export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: Pod, statuses: Map<string, Status>): Status;
}

export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: Pod, nodes: NodeInfo[]): Status;
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
