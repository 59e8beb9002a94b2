// The kubelet's eviction manager: every monitoring interval it observes the signals, keeps the
// node's pressure conditions (held for the pressure transition period after the last time a
// threshold was met), and once a hard threshold is met (or a soft one for its grace period)
// reclaims node-level resources for disk signals and then evicts one pod, ranked as the kubelet
// ranks them, waiting for it to be gone before the next pass.
import type { Pod } from '../api/types.js';
import { podQOSClass } from '../api/defaults.js';
import { toleratesTaint } from '../api/scheduling.js';
import { logger } from '../util/log.js';
import type { Observations } from './eviction-signals.js';
import { thresholdQuantity, type Signal, type Threshold } from './eviction-thresholds.js';
import { hasLocalStorageLimits, localStorageSignal, localStorageViolation } from './eviction-local-storage.js';
import { evictionMessage, isCriticalPod, rankForEviction, resourceOf, type PodUsage } from './eviction-ranking.js';
import { recordEviction } from './metrics.js';

const log = logger('eviction');

export type PressureCondition = 'MemoryPressure' | 'DiskPressure' | 'PIDPressure';

export function conditionOf(signal: Signal): PressureCondition {
  if (signal === 'memory.available') return 'MemoryPressure';
  if (signal === 'pid.available') return 'PIDPressure';
  return 'DiskPressure';
}

/** The kubelet's reasons and messages for each pressure condition, True and False. */
export const CONDITION_TEXT: Record<PressureCondition, { true: [string, string]; false: [string, string] }> = {
  MemoryPressure: { true: ['KubeletHasInsufficientMemory', 'kubelet has insufficient memory available'], false: ['KubeletHasSufficientMemory', 'kubelet has sufficient memory available'] },
  DiskPressure: { true: ['KubeletHasDiskPressure', 'kubelet has disk pressure'], false: ['KubeletHasNoDiskPressure', 'kubelet has no disk pressure'] },
  PIDPressure: { true: ['KubeletHasInsufficientPID', 'kubelet has insufficient PID available'], false: ['KubeletHasSufficientPID', 'kubelet has sufficient PID available'] },
};

/** Which signal is reclaimed first when several are met (memory before disk before PIDs). */
const SIGNAL_ORDER: Signal[] = ['memory.available', 'nodefs.available', 'nodefs.inodesFree', 'imagefs.available', 'imagefs.inodesFree', 'pid.available'];

export interface EvictionConfig {
  thresholds: Threshold[];
  pressureTransitionPeriodMs: number;
  /** --eviction-max-pod-grace-period: the cap on a soft eviction's grace period (0: the pod's own). */
  maxPodGracePeriodSec: number;
  /** How long to wait for an evicted pod to be gone before the next pass (the kubelet's 30 s). */
  podCleanupTimeoutMs: number;
}

export interface EvictionDeps {
  observe(): Promise<Observations>;
  activePods(): Pod[];
  podUsage(): Promise<Map<string, PodUsage>>;
  /**
   * Kill the pod with this grace period and mark it Failed/Evicted; resolves when its containers
   * are stopped. `disruptionTarget`: with the DisruptionTarget condition (reason
   * TerminationByKubelet), which 1.32's evictPod adds for a threshold's eviction only: a local
   * storage limit's passes no condition (emptyDirLimitEviction and the ephemeral-storage limits).
   */
  evict(pod: Pod, message: string, gracePeriodSec: number, disruptionTarget: boolean): Promise<void>;
  /** Node-level reclaim for a disk signal: dead containers, unused images. */
  reclaimNodeLevel(signal: Signal): Promise<void>;
  nodeEvent(type: string, reason: string, message: string): void;
  podEvent(pod: Pod, type: string, reason: string, message: string): void;
  conditionsChanged(): void;
  now?: () => number;
}

function met(thresholds: Threshold[], obs: Observations, enforceMinReclaim: boolean): Threshold[] {
  return thresholds.filter((t) => {
    const o = obs.get(t.signal);
    if (!o) return false;
    let q = thresholdQuantity(t.value, o.capacity);
    if (enforceMinReclaim && t.minReclaim) q += thresholdQuantity(t.minReclaim, o.capacity);
    return o.available < q;
  });
}

const tkey = (t: Threshold) => `${t.signal}/${t.gracePeriodMs}`;

export class EvictionManager {
  /** Thresholds met on the last pass (they stay met until minimum reclaim is also satisfied). */
  private thresholdsMet: Threshold[] = [];
  private firstObservedAt = new Map<string, number>();
  private conditionLastObservedAt = new Map<PressureCondition, number>();
  /** The pressure conditions the node reports now, with when each last changed. */
  readonly conditions = new Map<PressureCondition, { status: boolean; since: number }>();
  lastObservations: Observations | undefined;
  private readonly now: () => number;

  constructor(private cfg: EvictionConfig, private readonly d: EvictionDeps) {
    this.now = d.now ?? Date.now;
    const t = this.now();
    for (const c of Object.keys(CONDITION_TEXT) as PressureCondition[]) this.conditions.set(c, { status: false, since: t });
  }

  /** New thresholds and periods, taking effect on the next pass (conditions keep their history). */
  reconfigure(cfg: EvictionConfig): void {
    this.cfg = cfg;
    this.thresholdsMet = [];
  }

  /** The hard threshold of a signal in absolute units (0 when none): what allocatable leaves out. */
  hardThreshold(signal: Signal, capacity: number): number {
    const t = this.cfg.thresholds.find((x) => x.signal === signal && x.gracePeriodMs === 0);
    return t ? thresholdQuantity(t.value, capacity) : 0;
  }

  hasCondition(c: PressureCondition): boolean {
    return this.conditions.get(c)!.status;
  }

  /**
   * The kubelet's Admit: under memory pressure only pods that are not BestEffort (or that tolerate
   * the memory-pressure taint) are admitted; under disk or PID pressure none; critical pods always.
   * Returns the rejection message, or undefined to admit.
   */
  admit(pod: Pod): string | undefined {
    const active = (Object.keys(CONDITION_TEXT) as PressureCondition[]).filter((c) => this.hasCondition(c));
    if (!active.length || isCriticalPod(pod)) return undefined;
    if (active.length === 1 && active[0] === 'MemoryPressure') {
      const tolerates = (pod.spec?.tolerations ?? []).some((t) => toleratesTaint(t, { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }));
      if (podQOSClass(pod) !== 'BestEffort' || tolerates) return undefined;
    }
    // (Go's %v of the condition list: space-separated)
    return `The node had condition: [${active.join(' ')}]. `;
  }

  /** One pass; returns the pod evicted, if any. */
  async synchronize(): Promise<Pod | undefined> {
    const now = this.now();
    let obs = await this.d.observe();
    this.lastObservations = obs;
    let thresholds = met(this.cfg.thresholds, obs, false);
    if (this.thresholdsMet.length) {
      const unresolved = met(this.thresholdsMet, obs, true);
      for (const t of unresolved) if (!thresholds.some((x) => tkey(x) === tkey(t))) thresholds.push(t);
    }
    this.thresholdsMet = thresholds;
    // First observation times, kept while the threshold stays met.
    const keys = new Set(thresholds.map(tkey));
    for (const k of this.firstObservedAt.keys()) if (!keys.has(k)) this.firstObservedAt.delete(k);
    for (const t of thresholds) if (!this.firstObservedAt.has(tkey(t))) this.firstObservedAt.set(tkey(t), now);
    this.updateConditions(thresholds.map((t) => conditionOf(t.signal)), now);
    // Local storage limits first, whatever the thresholds; a pod evicted here ends the pass.
    const local = await this.localStorageEviction();
    if (local) return local;
    const due = thresholds.filter((t) => now - this.firstObservedAt.get(tkey(t))! >= t.gracePeriodMs);
    if (!due.length) return undefined;
    due.sort((a, b) => SIGNAL_ORDER.indexOf(a.signal) - SIGNAL_ORDER.indexOf(b.signal) || a.gracePeriodMs - b.gracePeriodMs);
    const t = due[0]!;
    const resource = resourceOf(t.signal);
    log.info('Eviction manager: attempting to reclaim', { resourceName: resource });
    this.d.nodeEvent('Warning', 'EvictionThresholdMet', `Attempting to reclaim ${resource}`);
    if (t.signal !== 'memory.available' && t.signal !== 'pid.available') {
      await this.d.reclaimNodeLevel(t.signal).catch((e: Error) => log.info('Eviction manager: unexpected error when attempting to reduce resource pressure', { resourceName: resource, err: e.message }));
      obs = await this.d.observe();
      this.lastObservations = obs;
      // (reclaimNodeLevelResources: every configured threshold, its grace period ignored and its
      // minimum reclaim counted, must be clear with the new observations, not only the one reclaimed)
      if (!met(this.cfg.thresholds, obs, true).length) {
        log.info('Eviction manager: able to reduce resource pressure without evicting pods.', { resourceName: resource });
        return undefined;
      }
    }
    log.info('Eviction manager: must evict pod(s) to reclaim', { resourceName: resource });
    const o = obs.get(t.signal)!;
    const usage = await this.d.podUsage();
    const ranked = rankForEviction(this.d.activePods(), usage, t.signal);
    const quantity = thresholdQuantity(t.value, o.capacity);
    for (const pod of ranked) {
      const message = evictionMessage(pod, usage.get(pod.metadata!.uid!), t.signal, quantity, o.available);
      const grace = t.gracePeriodMs === 0 ? 0 : Math.min(pod.spec?.terminationGracePeriodSeconds ?? 30, this.cfg.maxPodGracePeriodSec > 0 ? this.cfg.maxPodGracePeriodSec : Infinity);
      log.info('evicting pod', { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, signal: t.signal, message });
      this.d.podEvent(pod, 'Warning', 'Evicted', message);
      try {
        await withTimeout(this.d.evict(pod, message, grace, true), this.cfg.podCleanupTimeoutMs);
      } catch (e) {
        log.warn('eviction failed', { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, err: (e as Error).message });
        continue;
      }
      recordEviction(t.signal);
      return pod;
    }
    log.info('no pod to evict', { signal: t.signal });
    return undefined;
  }

  /** Pods over their emptyDir sizeLimit or ephemeral-storage limits are evicted at once (grace period 0); returns the last one. */
  private async localStorageEviction(): Promise<Pod | undefined> {
    const pods = this.d.activePods().filter((p) => !isCriticalPod(p));
    if (!hasLocalStorageLimits(pods)) return undefined;
    const usage = await this.d.podUsage();
    let evicted: Pod | undefined;
    for (const pod of pods) {
      const message = localStorageViolation(pod, usage.get(pod.metadata!.uid!));
      if (!message) continue;
      log.info('evicting pod over its local storage limit', { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, message });
      this.d.podEvent(pod, 'Warning', 'Evicted', message);
      await withTimeout(this.d.evict(pod, message, 0, false), this.cfg.podCleanupTimeoutMs).then(
        () => recordEviction(localStorageSignal(message)),
        (e: Error) => log.warn('eviction failed', { err: e.message }),
      );
      evicted = pod;
    }
    return evicted;
  }

  /** Conditions held for the pressure transition period after a threshold was last met. */
  private updateConditions(observed: PressureCondition[], now: number): void {
    for (const c of observed) this.conditionLastObservedAt.set(c, now);
    let changed = false;
    for (const [c, cur] of this.conditions) {
      const last = this.conditionLastObservedAt.get(c);
      const on = last !== undefined && now - last <= this.cfg.pressureTransitionPeriodMs;
      if (on !== cur.status) {
        this.conditions.set(c, { status: on, since: now });
        changed = true;
        log.info('node condition changed', { condition: c, status: on });
      }
    }
    if (changed) this.d.conditionsChanged();
  }
}

/** Resolves as `p`, or after `ms` (the kubelet gives up waiting for cleanup, but the eviction stands). */
async function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]).finally(() => clearTimeout(timer));
}
